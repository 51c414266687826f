/**
 * The compiled pack, started as the Pulumi CLI starts it (run-policy-pack in the
 * pack directory) and driven over the Analyzer gRPC protocol: the CLI's opening
 * sequence, then AnalyzeStack and Analyze with resource sets shaped like our
 * program and like hand-written ones, in preview and update mode.
 */
import { ensureBuilt, packDir } from "./support/packBuild";
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type AnalyzeResult,
  type AnalyzerInfo,
  type PolicyPackProcess,
  reconcilePolicyConfig,
  startPolicyPack,
  unknownSentinel,
} from "../lib/analyzer/client";
import { addressesInBlock, addressesPerNode } from "../policy/rules/sizing";
import {
  type Mode,
  StackBuilder,
  programResources,
  project,
  stack,
  types,
  urnOf,
  withPool,
  withProperties,
} from "./support/policyResources";
import { loadExample } from "./support/stacks";
import { planAddresses } from "../lib/plan/addressPlan";

const { plan } = loadExample("payments-prod");
const calicoUrn = urnOf(types.release, "calico");
let pack: PolicyPackProcess;
let info: AnalyzerInfo;

before(async () => {
  ensureBuilt();
  ({ pack, info } = await startPolicyPack({ packDir, stack: { project, stack, dryRun: true } }));
});

after(async () => {
  await pack?.close();
});

/** Sends a config as the CLI would after reading a --policy-pack-config file. */
async function configure(config: Parameters<typeof reconcilePolicyConfig>[1] = {}) {
  await pack.configure(reconcilePolicyConfig(info, config));
}

const mandatory = (result: AnalyzeResult) =>
  result.diagnostics.filter((d) => d.enforcementLevel === "mandatory");

describe("the CLI's opening sequence", () => {
  it("describes the pack's policies, levels and config schema", () => {
    assert.equal(info.name, "calico-aws-network");
    assert.equal(info.supportsConfig, true);
    const levels = Object.fromEntries(info.policies.map((p) => [p.name, p.enforcementLevel]));
    assert.deepEqual(levels, {
      "no-cidr-overlap": "mandatory",
      "pod-block-fits-node": "mandatory",
      "pod-pool-capacity": "mandatory",
      "cross-subnet-encapsulation": "mandatory",
      "calico-ports-open": "advisory",
      "one-cluster-security-group": "mandatory",
      "bgp-mesh-scale": "advisory",
      "no-secrets-in-user-data": "mandatory",
    });
    const defaults = reconcilePolicyConfig(info);
    assert.deepEqual(defaults["no-cidr-overlap"].properties, {
      reservedRanges: [],
      serviceCidr: "10.96.0.0/12",
    });
    assert.deepEqual(defaults["pod-block-fits-node"].properties, { defaultMaxPods: 110 });
  });
});

describe("AnalyzeStack", () => {
  for (const mode of ["preview", "update"] as const satisfies readonly Mode[]) {
    it(`passes the program's resources (${mode})`, async () => {
      const result = await pack.analyzeStack(programResources(plan, mode));
      assert.deepEqual(result.diagnostics, []);
    });
  }

  it("reports an overlap on the resources that declare it", async () => {
    const result = await pack.analyzeStack(
      withPool(programResources(plan, "preview"), { cidr: plan.vpcCidr }),
    );
    assert.deepEqual(
      result.diagnostics.map((d) => [d.policyName, d.enforcementLevel]),
      [["no-cidr-overlap", "mandatory"]],
    );
    const [diagnostic] = result.diagnostics;
    assert.ok([urnOf(types.vpc, "vpc"), calicoUrn].includes(diagnostic.urn), diagnostic.urn);
    assert.ok(diagnostic.message.includes(`VPC vpc (${plan.vpcCidr})`), diagnostic.message);
    assert.ok(diagnostic.message.includes(`pod pool calico ipPools[0] (${plan.vpcCidr})`));
  });

  it("reports every node group an undersized block cannot hold", async () => {
    const blockSize = 27;
    const tooBig = plan.nodeGroups.filter(
      (group) => addressesPerNode(group.maxPods) > addressesInBlock(blockSize),
    );
    const result = await pack.analyzeStack(
      withPool(programResources(plan, "update"), { blockSize }),
    );
    assert.equal(mandatory(result).length, tooBig.length);
    for (const diagnostic of result.diagnostics) {
      assert.equal(diagnostic.policyName, "pod-block-fits-node");
      assert.equal(diagnostic.urn, calicoUrn);
    }
    for (const group of tooBig) {
      assert.ok(result.diagnostics.some((d) => d.message.includes(`node group ${group.name} `)));
    }
  });

  it("reports a pool that drops encapsulation across subnets", async () => {
    const result = await pack.analyzeStack(
      withPool(programResources(plan, "preview"), { encapsulation: "None" }),
    );
    assert.deepEqual(
      result.diagnostics.map((d) => [d.policyName, d.urn]),
      [["cross-subnet-encapsulation", calicoUrn]],
    );
  });

  it("reports a reserved range given in the pack config, and forgets it when reconfigured", async () => {
    const inputs = programResources(plan, "preview");
    await configure({
      "no-cidr-overlap": { reservedRanges: [{ name: "legacy-dc", cidr: plan.vpcCidr }] },
    });
    try {
      const result = await pack.analyzeStack(inputs);
      assert.equal(result.diagnostics.length, 1);
      assert.equal(result.diagnostics[0].policyName, "no-cidr-overlap");
      assert.equal(result.diagnostics[0].urn, urnOf(types.vpc, "vpc"));
      assert.ok(result.diagnostics[0].message.includes('"legacy-dc"'));
    } finally {
      await configure();
    }
    assert.deepEqual((await pack.analyzeStack(inputs)).diagnostics, []);
  });

  it("lets the config turn a policy's level down", async () => {
    const inputs = withPool(programResources(plan, "preview"), { encapsulation: "None" });
    await configure({ "cross-subnet-encapsulation": "advisory" });
    try {
      const result = await pack.analyzeStack(inputs);
      assert.deepEqual(
        result.diagnostics.map((d) => [d.policyName, d.enforcementLevel]),
        [["cross-subnet-encapsulation", "advisory"]],
      );
    } finally {
      await configure();
    }
  });

  it("still reports known overlaps when other CIDRs are unknown", async () => {
    let inputs = withPool(programResources(plan, "preview"), { cidr: plan.vpcCidr });
    for (const zone of plan.availabilityZones) {
      for (const role of ["private", "public"]) {
        inputs = withProperties(inputs, `${zone.name}-${role}`, (p) => ({
          ...p,
          cidrBlock: unknownSentinel,
        }));
      }
    }
    const result = await pack.analyzeStack(inputs);
    assert.deepEqual(
      result.diagnostics.map((d) => d.policyName),
      ["no-cidr-overlap"],
    );
    assert.ok(!result.diagnostics[0].message.includes("can't run"));
  });

  it("reports exactly the faults of a hand-written program with raw IPPool and Vpc", async () => {
    const b = new StackBuilder("preview");
    b.add(types.vpc, "main", () => ({ cidrBlock: "10.10.0.0/16" }));
    b.add(types.subnet, "zone-a", (ref) => ({
      vpcId: ref("vpcId", "main"),
      cidrBlock: "10.10.0.0/24",
    }));
    b.add(types.subnet, "zone-b", (ref) => ({
      vpcId: ref("vpcId", "main"),
      cidrBlock: "10.10.0.128/25",
    }));
    b.add(types.autoScalingGroup, "workers", (ref) => ({
      maxSize: 20,
      vpcZoneIdentifiers: [
        ref("vpcZoneIdentifiers", "zone-a"),
        ref("vpcZoneIdentifiers", "zone-b"),
      ],
    }));
    b.add(types.ipPool, "pods", () => ({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "IPPool",
      metadata: { name: "pods" },
      spec: { cidr: "100.64.0.0/16", blockSize: 26, ipipMode: "Never", natOutgoing: true },
    }));
    const result = await pack.analyzeStack(b.resources);
    const seen = result.diagnostics.map((d) => [
      d.policyName,
      d.urn,
      /\[([a-z-]+)\]/.exec(d.message)?.[1],
    ]);
    assert.deepEqual(seen.sort(), [
      ["cross-subnet-encapsulation", urnOf(types.ipPool, "pods"), "encapsulation-required"],
      ["no-cidr-overlap", urnOf(types.subnet, "zone-a"), "subnet-overlap"],
      ["pod-block-fits-node", urnOf(types.ipPool, "pods"), "block-too-small-for-pods"],
    ]);
    const overlap = result.diagnostics.find((d) => d.policyName === "no-cidr-overlap");
    assert.ok(
      overlap?.message.includes(
        "subnet zone-a (10.10.0.0/24) overlaps subnet zone-b (10.10.0.128/25)",
      ),
    );
  });

  it("advises when node security groups keep Calico out", async () => {
    // payments-prod kept on BGP's full mesh (its own plan turns BGP off: 103 nodes).
    const { config } = loadExample("payments-prod");
    const meshed = planAddresses({
      ...config,
      calico: { ...config.calico, fullMeshMaxNodes: 200 },
    });
    const inputs = programResources(meshed, "preview").filter(
      (r) => !(r.type === types.ingressRule && r.name.endsWith("-bgp")),
    );
    const result = await pack.analyzeStack(inputs);
    assert.equal(result.diagnostics.length, meshed.nodeGroups.length + 1);
    assert.equal(
      result.diagnostics.filter((d) => d.policyName === "bgp-mesh-scale").length,
      1,
      "and the mesh is past its limit",
    );
    const ports = result.diagnostics.filter((d) => d.policyName !== "bgp-mesh-scale");
    assert.ok(
      ports.every((d) => d.policyName === "calico-ports-open" && d.enforcementLevel === "advisory"),
    );
    // With BGP off (Felix routing) the same security groups need no TCP 179.
    const felix = programResources(plan, "preview").filter(
      (r) => !(r.type === types.ingressRule && r.name.endsWith("-bgp")),
    );
    assert.equal(plan.routing.bgp, false);
    assert.deepEqual((await pack.analyzeStack(felix)).diagnostics, []);
  });
});

describe("Analyze", () => {
  it("leaves single resources to the stack policies", async () => {
    const inputs = withPool(programResources(plan, "preview"), { cidr: plan.vpcCidr });
    for (const resource of inputs) {
      const result = await pack.analyze(resource);
      assert.deepEqual(result.diagnostics, [], resource.name);
    }
  });
});
