/**
 * The Installation the tigera-operator chart renders from our values must pass
 * Calico's own CRD schema: test/data/calico/installation-v1-spec.v3.32.1.json is
 * the v1 `spec` schema of charts/crd.projectcalico.org.v1 at v3.32.1 (source
 * recorded in the file; scripts/calico-installation-schema.ts regenerates it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import { tigeraOperatorValues } from "../lib/calicoValues";
import { planAddresses } from "../lib/plan/addressPlan";
import { type SchemaNode, schemaErrors } from "./support/crdSchema";
import { exampleStacks, loadExample } from "./support/stacks";

const data = JSON.parse(
  readFileSync(path.join(__dirname, "data/calico/installation-v1-spec.v3.32.1.json"), "utf8"),
) as { source: { tag: string; path: string }; crd: string; schema: SchemaNode };

/** The chart renders every `installation` key but `enabled` as the Installation spec. */
function installationSpec(
  values: ReturnType<typeof tigeraOperatorValues>,
): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...values.installation };
  delete spec.enabled;
  return spec;
}

describe("Installation against Calico's CRD schema", () => {
  it("is the schema of Calico's own Installation CRD", () => {
    assert.equal(data.crd, "installations.operator.tigera.io");
    assert.equal(data.source.tag, "v3.32.1");
    assert.match(
      data.source.path,
      /crd\.projectcalico\.org\.v1\/templates\/operator\.tigera\.io_installations\.yaml$/,
    );
    const network = data.schema.properties?.calicoNetwork?.properties;
    assert.deepEqual(network?.clusterRoutingMode?.enum, ["BIRD", "Felix"]);
  });

  for (const stack of exampleStacks) {
    it(`${stack}: the values pass`, () => {
      const { config, plan } = loadExample(stack);
      assert.deepEqual(
        schemaErrors(data.schema, installationSpec(tigeraOperatorValues(plan, config))),
        [],
      );
    });
  }

  it("passes with Felix routing and with every optional component on", () => {
    const { config } = loadExample("payments-prod");
    const changed = {
      ...config,
      calico: {
        ...config.calico,
        fullMeshMaxNodes: 10,
        apiServer: true,
        goldmane: true,
        whisker: true,
      },
    };
    const plan = planAddresses(changed);
    const spec = installationSpec(tigeraOperatorValues(plan, changed));
    assert.equal((spec.calicoNetwork as Record<string, unknown>).clusterRoutingMode, "Felix");
    assert.deepEqual(schemaErrors(data.schema, spec), []);
  });

  it("catches what the API server would refuse or prune", () => {
    const { config, plan } = loadExample("search-dev");
    const spec = installationSpec(tigeraOperatorValues(plan, config));
    const network = spec.calicoNetwork as Record<string, unknown>;
    const broken = {
      ...spec,
      calicoNetwork: {
        ...network,
        clusterRoutingMode: "Bird",
        nodeAddressAutodetectionV4: { kubernetes: "NodeExternalIP" },
        ipPools: [
          { ...(network.ipPools as object[])[0], encapsulation: "IPinIP", blockSize: "25" },
        ],
      },
      typo: true,
    };
    const errors = schemaErrors(data.schema, broken);
    for (const expected of [
      "spec.calicoNetwork.clusterRoutingMode",
      "spec.calicoNetwork.nodeAddressAutodetectionV4.kubernetes",
      "spec.calicoNetwork.ipPools[0].encapsulation",
      "spec.calicoNetwork.ipPools[0].blockSize",
      "spec.typo",
    ]) {
      assert.ok(
        errors.some((error) => error.startsWith(`${expected}:`)),
        `${expected} in ${errors.join("; ")}`,
      );
    }
  });
});
