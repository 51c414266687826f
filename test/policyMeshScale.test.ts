/**
 * `bgp-mesh-scale`: called directly as @pulumi/policy calls it, and through the
 * compiled pack over the Analyzer protocol. Violating: Calico on BGP's full mesh
 * with node groups past the limit; clean: Felix routing, BGP off, the mesh off
 * with peers, a raised limit, a small cluster; unknown: nothing proven, nothing said.
 */
import { ensureBuilt, packDir } from "./support/packBuild";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { StackValidationPolicy } from "@pulumi/policy";
import {
  type AnalyzerInfo,
  type AnalyzerResourceInput,
  type PolicyPackProcess,
  reconcilePolicyConfig,
  startPolicyPack,
  unknownSentinel,
} from "../lib/analyzer/client";
import { planAddresses } from "../lib/plan/addressPlan";
import { bgpMeshScale } from "../policy/policies";
import {
  type Mode,
  StackBuilder,
  asPolicyResources,
  programResources,
  project,
  stack,
  types,
  urnOf,
  withProperties,
} from "./support/policyResources";
import { loadExample } from "./support/stacks";

type Props = Record<string, unknown>;

async function violations(
  inputs: readonly AnalyzerResourceInput[],
  config: object = {},
  policy: StackValidationPolicy = bgpMeshScale,
): Promise<{ message: string; urn: string | undefined }[]> {
  const found: { message: string; urn: string | undefined }[] = [];
  await policy.validateStack(
    {
      resources: asPolicyResources(inputs),
      getConfig: <T extends object>() => config as T,
      stackTags: new Map(),
      notApplicable: (reason?: string) => {
        throw new Error(`notApplicable: ${reason}`);
      },
    },
    (message, urn) => found.push({ message, urn }),
  );
  return found;
}

const payments = loadExample("payments-prod");
/** payments-prod (103 nodes) as if it kept the full mesh: the limit raised in config. */
const meshedPlan = planAddresses({
  ...payments.config,
  calico: { ...payments.config.calico, fullMeshMaxNodes: 200 },
});
const calicoUrn = urnOf(types.release, "calico");
const modes: readonly Mode[] = ["preview", "update"];

const network = (props: Props) =>
  ((props.values as Props).installation as Props).calicoNetwork as Props;
const withNetwork = (inputs: readonly AnalyzerResourceInput[], change: Props) =>
  withProperties(inputs, "calico", (props) => {
    Object.assign(network(props), change);
    return props;
  });

/** BGP resources appended to a resource set, as a route-reflector setup declares them. */
function withBgp(
  inputs: readonly AnalyzerResourceInput[],
  group: "crd.projectcalico.org/v1" | "projectcalico.org/v3",
  mesh: unknown,
  peers: number,
): AnalyzerResourceInput[] {
  const b = new StackBuilder("update");
  b.add(`kubernetes:${group}:BGPConfiguration`, "bgp-default", () => ({
    metadata: { name: "default" },
    spec: { nodeToNodeMeshEnabled: mesh, asNumber: 64512 },
  }));
  for (let i = 0; i < peers; i++) {
    b.add(`kubernetes:${group}:BGPPeer`, `to-reflectors-${i}`, () => ({
      metadata: { name: `to-reflectors-${i}` },
      spec: { nodeSelector: "all()", peerSelector: "route-reflector == 'true'" },
    }));
  }
  return [...inputs, ...b.resources];
}

describe("bgp-mesh-scale (direct)", () => {
  for (const mode of modes) {
    it(`reports the full mesh over 103 nodes on the tigera-operator release (${mode})`, async () => {
      assert.equal(meshedPlan.routing.bgp, true);
      const found = await violations(programResources(meshedPlan, mode));
      assert.equal(found.length, 1);
      assert.equal(found[0].urn, calicoUrn);
      assert.match(found[0].message, /^\[bgp-mesh-too-large\]/);
      assert.ok(
        found[0].message.includes("can reach 103 nodes, more than the 100"),
        found[0].message,
      );
      assert.match(found[0].message, /Fix: .*clusterRoutingMode: Felix/);
    });

    it(`passes the program's own payments-prod: Felix routing, BGP off (${mode})`, async () => {
      assert.equal(payments.plan.routing.mode, "felix");
      assert.deepEqual(await violations(programResources(payments.plan, mode)), []);
    });
  }

  it("follows the limit in the pack config", async () => {
    const inputs = programResources(meshedPlan, "update");
    assert.deepEqual(await violations(inputs, { maxMeshNodes: 103 }), []);
    assert.equal((await violations(inputs, { maxMeshNodes: 102 })).length, 1);
  });

  it("passes Felix routing even with BGP on, and BGP off", async () => {
    const inputs = programResources(meshedPlan, "update");
    assert.deepEqual(await violations(withNetwork(inputs, { clusterRoutingMode: "Felix" })), []);
    assert.deepEqual(await violations(withNetwork(inputs, { bgp: "Disabled" })), []);
  });

  for (const group of ["crd.projectcalico.org/v1", "projectcalico.org/v3"] as const) {
    it(`passes the mesh turned off with peers in place (${group})`, async () => {
      const inputs = programResources(meshedPlan, "update");
      assert.deepEqual(await violations(withBgp(inputs, group, false, 1)), []);
      // The mesh off but no peer: no routes at all, and certainly no way past the mesh.
      assert.equal((await violations(withBgp(inputs, group, false, 0))).length, 1);
      assert.equal((await violations(withBgp(inputs, group, true, 1))).length, 1);
    });
  }

  it("reads an Installation and an operator default of bgp: Enabled", async () => {
    const b = new StackBuilder("update");
    for (const [index, group] of meshedPlan.nodeGroups.entries()) {
      b.add(types.autoScalingGroup, `group-${index}`, () => ({
        minSize: 0,
        maxSize: group.maxSize,
        vpcZoneIdentifiers: ["subnet-a"],
      }));
    }
    b.add("kubernetes:operator.tigera.io/v1:Installation", "default", () => ({
      metadata: { name: "default" },
      spec: { calicoNetwork: { ipPools: [{ cidr: "100.64.0.0/16", blockSize: 25 }] } },
    }));
    const found = await violations(b.resources);
    assert.equal(found.length, 1);
    assert.equal(found[0].urn, urnOf("kubernetes:operator.tigera.io/v1:Installation", "default"));
  });

  it("reads a manifest install from its IPPools: IPIP runs BIRD, VXLAN does not", async () => {
    const build = (spec: Props) => {
      const b = new StackBuilder("update");
      b.add(types.autoScalingGroup, "workers", () => ({ minSize: 0, maxSize: 150 }));
      b.add(types.ipPool, "pool", () => ({ spec: { cidr: "100.64.0.0/16", ...spec } }));
      return b.resources;
    };
    assert.equal((await violations(build({ ipipMode: "CrossSubnet" }))).length, 1);
    assert.deepEqual(await violations(build({ vxlanMode: "Always" })), []);
  });

  it("says nothing when the known values cannot prove it", async () => {
    const inputs = programResources(meshedPlan, "preview");
    assert.deepEqual(await violations(withNetwork(inputs, { bgp: unknownSentinel })), []);
    assert.deepEqual(
      await violations(withNetwork(inputs, { clusterRoutingMode: unknownSentinel })),
      [],
    );
    assert.deepEqual(
      await violations(withBgp(inputs, "projectcalico.org/v3", unknownSentinel, 1)),
      [],
    );
    // One group's size unknown: the others (43 nodes) prove nothing.
    const general = meshedPlan.nodeGroups.find((group) => group.name === "general");
    assert.ok(general);
    const unknownSize = withProperties(
      inputs,
      "general",
      (props) => ({ ...props, maxSize: unknownSentinel }),
      types.autoScalingGroup,
    );
    assert.deepEqual(await violations(unknownSize), []);
    // ...but with the limit below the known ones, the known ones alone prove it.
    const atLeast = await violations(unknownSize, { maxMeshNodes: 40 });
    assert.equal(atLeast.length, 1);
    assert.ok(atLeast[0].message.includes("can reach at least 43 nodes"), atLeast[0].message);
    // Values files the pack cannot read may set bgp.
    const hidden = withProperties(inputs, "calico", (props) => ({
      ...props,
      valueYamlFiles: [{ path: "calico-values.yaml" }],
    }));
    assert.deepEqual(await violations(hidden), []);
  });
});

describe("bgp-mesh-scale over the Analyzer protocol", () => {
  let pack: PolicyPackProcess;
  let info: AnalyzerInfo;
  before(async () => {
    ensureBuilt();
    ({ pack, info } = await startPolicyPack({ packDir, stack: { project, stack, dryRun: true } }));
  });
  after(async () => {
    await pack?.close();
  });

  it("describes the policy: advisory, limit 100 in its config", () => {
    const policy = info.policies.find((candidate) => candidate.name === "bgp-mesh-scale");
    assert.ok(policy);
    assert.equal(policy.enforcementLevel, "advisory");
    assert.deepEqual(reconcilePolicyConfig(info)["bgp-mesh-scale"].properties, {
      maxMeshNodes: 100,
    });
  });

  it("advises on the full mesh, passes Felix routing, says nothing on unknowns", async () => {
    await pack.configure(reconcilePolicyConfig(info, {}));
    const violating = await pack.analyzeStack(programResources(meshedPlan, "preview"));
    const mesh = violating.diagnostics.filter((d) => d.policyName === "bgp-mesh-scale");
    assert.equal(mesh.length, 1);
    assert.equal(mesh[0].enforcementLevel, "advisory");
    assert.equal(mesh[0].urn, calicoUrn);
    assert.match(mesh[0].message, /bgp-mesh-too-large/);

    const clean = await pack.analyzeStack(programResources(payments.plan, "preview"));
    assert.deepEqual(clean.diagnostics, []);

    const unknown = withNetwork(programResources(meshedPlan, "preview"), { bgp: unknownSentinel });
    const silent = await pack.analyzeStack(unknown);
    assert.deepEqual(
      silent.diagnostics.filter((d) => d.policyName === "bgp-mesh-scale"),
      [],
    );
  });

  it("can be made mandatory and given another limit", async () => {
    await pack.configure(
      reconcilePolicyConfig(info, {
        "bgp-mesh-scale": { enforcementLevel: "mandatory", maxMeshNodes: 150 },
      }),
    );
    const raised = await pack.analyzeStack(programResources(meshedPlan, "update"));
    assert.deepEqual(
      raised.diagnostics.filter((d) => d.policyName === "bgp-mesh-scale"),
      [],
    );
    await pack.configure(
      reconcilePolicyConfig(info, { "bgp-mesh-scale": { enforcementLevel: "mandatory" } }),
    );
    const enforced = await pack.analyzeStack(programResources(meshedPlan, "update"));
    const mesh = enforced.diagnostics.filter((d) => d.policyName === "bgp-mesh-scale");
    assert.equal(mesh.length, 1);
    assert.equal(mesh[0].enforcementLevel, "mandatory");
    await pack.configure(reconcilePolicyConfig(info, {}));
  });
});
