/**
 * Each policy of the pack called directly, the way @pulumi/policy's server calls
 * it (properties behind the unknown-checking proxy, secrets unwrapped): one
 * passing resource set per example stack and mode, then one change per case.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { Policy } from "@pulumi/policy";
import type { AnalyzerResourceInput } from "../lib/analyzer/client";
import { secretValue, unknownSentinel } from "../lib/analyzer/client";
import { maxPodsTagKey as maxPodsTag } from "../policy/rules/wellKnown";
import {
  calicoPortsOpen,
  crossSubnetEncapsulation,
  noCidrOverlap,
  podBlockFitsNode,
  podPoolCapacity,
  policies,
} from "../policy/policies";
import { addressesInBlock, addressesPerNode, blocksInPool } from "../policy/rules/sizing";
import {
  type Mode,
  StackBuilder,
  runPolicy,
  programResources,
  types,
  urnOf,
  withPool,
  withProperties,
  without,
} from "./support/policyResources";
import { exampleStacks, loadExample } from "./support/stacks";
import { planAddresses } from "../lib/plan/addressPlan";

interface Violation {
  readonly message: string;
  readonly urn: string | undefined;
}

async function violations(
  policy: Policy,
  inputs: readonly AnalyzerResourceInput[],
  config: object = {},
): Promise<Violation[]> {
  const found: Violation[] = [];
  await runPolicy(policy, inputs, config, (message, urn) => found.push({ message, urn }));
  return found;
}

const modes: readonly Mode[] = ["preview", "update"];
const { plan } = loadExample("payments-prod");
const calicoUrn = urnOf(types.release, "calico");
const vpcUrn = urnOf(types.vpc, "vpc");
const firstZone = plan.availabilityZones[0];

type Props = Record<string, unknown>;

describe("the program's resources pass every policy", () => {
  for (const stackName of exampleStacks) {
    for (const mode of modes) {
      it(`${stackName}, ${mode}`, async () => {
        const inputs = programResources(loadExample(stackName).plan, mode);
        for (const policy of policies) {
          assert.deepEqual(await violations(policy, inputs), [], policy.name);
        }
      });
    }
  }

  it("enforces the four network policies and advises on security groups", () => {
    const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
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
  });
});

it("loads no provider SDK: no policy source imports one, not even for types", () => {
  const root = path.join(__dirname, "..", "policy");
  const sources = ["index.ts", "policies.ts", "extract", "rules"].flatMap((entry) =>
    fs.statSync(path.join(root, entry)).isDirectory()
      ? fs.readdirSync(path.join(root, entry)).map((file) => path.join(root, entry, file))
      : [path.join(root, entry)],
  );
  for (const file of sources) {
    const text = fs.readFileSync(file, "utf8");
    assert.doesNotMatch(
      text,
      /from "@pulumi\/(aws|kubernetes)|require\("@pulumi\/(aws|kubernetes)/,
      file,
    );
  }
});

describe("no-cidr-overlap", () => {
  for (const mode of modes) {
    it(`reports a pod pool inside the VPC once, on one of the two resources (${mode})`, async () => {
      const found = await violations(
        noCidrOverlap,
        withPool(programResources(plan, mode), { cidr: plan.vpcCidr }),
      );
      assert.equal(found.length, 1);
      assert.match(found[0].message, /\[cidr-overlap\]/);
      assert.ok(found[0].message.includes(`VPC vpc (${plan.vpcCidr})`), found[0].message);
      assert.ok(found[0].message.includes("pod pool calico ipPools[0]"), found[0].message);
      assert.ok([vpcUrn, calicoUrn].includes(found[0].urn ?? ""));
    });
  }

  it("reports overlapping subnets by name and CIDR", async () => {
    const privateCidr = firstZone.privateSubnet.cidr;
    const inputs = withProperties(
      programResources(plan, "preview"),
      `${firstZone.name}-public`,
      (p) => ({
        ...p,
        cidrBlock: privateCidr,
      }),
    );
    const found = await violations(noCidrOverlap, inputs);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /\[subnet-overlap\]/);
    assert.ok(found[0].message.includes(`subnet ${firstZone.name}-private (${privateCidr})`));
    assert.ok(found[0].message.includes(`subnet ${firstZone.name}-public (${privateCidr})`));
  });

  for (const mode of modes) {
    it(`relates subnets to their VPC and reports one outside it (${mode})`, async () => {
      const inputs = withProperties(
        programResources(plan, mode),
        `${firstZone.name}-public`,
        (p) => ({
          ...p,
          cidrBlock: "192.168.10.0/24",
        }),
      );
      const found = await violations(noCidrOverlap, inputs);
      assert.equal(found.length, 1);
      assert.match(found[0].message, /\[subnet-outside-vpc\]/);
      assert.equal(found[0].urn, urnOf(types.subnet, `${firstZone.name}-public`));
      assert.ok(found[0].message.includes(plan.vpcCidr));
    });
  }

  it("reports a reserved range from the pack config, naming it", async () => {
    const config = { reservedRanges: [{ name: "legacy-datacenter", cidr: plan.vpcCidr }] };
    const inputs = programResources(plan, "preview");
    assert.deepEqual(await violations(noCidrOverlap, inputs), []);
    const found = await violations(noCidrOverlap, inputs, config);
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes('"legacy-datacenter"'), found[0].message);
    assert.equal(found[0].urn, vpcUrn);
  });

  it("takes the service range from the Installation values when they declare it", async () => {
    const inputs = withProperties(programResources(plan, "preview"), "calico", (props) => {
      ((props.values as Props).installation as Props).serviceCIDRs = [plan.podPool.cidr];
      return props;
    });
    const found = await violations(noCidrOverlap, inputs);
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes("service range calico serviceCIDRs[0]"), found[0].message);
  });

  it("falls back to the configured service range when no Installation declares one", async () => {
    const inputs = withProperties(programResources(plan, "preview"), "calico", (props) => {
      delete ((props.values as Props).installation as Props).serviceCIDRs;
      return props;
    });
    assert.deepEqual(await violations(noCidrOverlap, inputs), []);
    const found = await violations(noCidrOverlap, inputs, { serviceCidr: plan.podPool.cidr });
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes("no-cidr-overlap.serviceCidr"), found[0].message);
  });

  it("reports an invalid configured range on the stack, naming the key", async () => {
    const config = { reservedRanges: [{ name: "typo", cidr: "10.0.0.1/8" }] };
    const found = await violations(noCidrOverlap, programResources(plan, "preview"), config);
    assert.equal(found.length, 1);
    assert.equal(found[0].urn, undefined);
    assert.match(found[0].message, /\[invalid-cidr\].*reservedRanges\[0\].*10\.0\.0\.1\/8/);
  });

  it("still reports what known values show when other CIDRs are unknown", async () => {
    let inputs = programResources(plan, "preview");
    for (const zone of plan.availabilityZones) {
      for (const role of ["private", "public"]) {
        inputs = withProperties(inputs, `${zone.name}-${role}`, (p) => ({
          ...p,
          cidrBlock: unknownSentinel,
        }));
      }
    }
    assert.deepEqual(await violations(noCidrOverlap, inputs), []);
    const found = await violations(noCidrOverlap, withPool(inputs, { cidr: plan.vpcCidr }));
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes(plan.vpcCidr));
  });

  it("never fails on an unknown pool or values", async () => {
    const unknownPool = withPool(programResources(plan, "preview"), { cidr: unknownSentinel });
    assert.deepEqual(await violations(noCidrOverlap, unknownPool), []);
    const unknownValues = withProperties(programResources(plan, "preview"), "calico", (p) => ({
      ...p,
      values: unknownSentinel,
    }));
    for (const policy of policies) assert.deepEqual(await violations(policy, unknownValues), []);
  });

  it("reads a hand-written program's raw IPPool and VPC", async () => {
    const b = new StackBuilder("preview");
    b.add(types.vpc, "main", () => ({ cidrBlock: "10.0.0.0/16" }));
    b.add(types.ipPool, "pods", () => ({
      apiVersion: "crd.projectcalico.org/v1",
      kind: "IPPool",
      spec: { cidr: "10.0.128.0/18", blockSize: 24, ipipMode: "CrossSubnet" },
    }));
    const found = await violations(noCidrOverlap, b.resources);
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes("VPC main (10.0.0.0/16)"));
    assert.ok(found[0].message.includes("pod pool pods (10.0.128.0/18)"));
  });
});

describe("pod-block-fits-node", () => {
  it("reports every node group whose pods and tunnel address overflow the block", async () => {
    const blockSize = 27;
    const capacity = addressesInBlock(blockSize);
    const tooBig = plan.nodeGroups.filter((g) => addressesPerNode(g.maxPods) > capacity);
    assert.ok(tooBig.length > 0, "the case needs a group that does not fit");
    const found = await violations(
      podBlockFitsNode,
      withPool(programResources(plan, "preview"), { blockSize }),
    );
    assert.equal(found.length, tooBig.length);
    for (const group of tooBig) {
      assert.ok(
        found.some((v) =>
          v.message.includes(`node group ${group.name} needs ${group.maxPods + 1}`),
        ),
        group.name,
      );
    }
    assert.ok(found.every((v) => v.urn === calicoUrn));
  });

  it("uses the configured default maxPods for groups without the pods tag", async () => {
    let inputs = programResources(plan, "update");
    for (const group of plan.nodeGroups) {
      inputs = withProperties(
        inputs,
        group.name,
        (p) => ({ ...p, tags: [] }),
        types.autoScalingGroup,
      );
    }
    assert.deepEqual(await violations(podBlockFitsNode, inputs), []);
    const defaultMaxPods = addressesInBlock(plan.podPool.blockSize);
    const found = await violations(podBlockFitsNode, inputs, { defaultMaxPods });
    assert.equal(found.length, plan.nodeGroups.length);
  });

  it("reads a secret pods tag and skips a group whose tags are unknown", async () => {
    const [group] = plan.nodeGroups;
    const secretTag = withProperties(
      programResources(plan, "preview"),
      group.name,
      (p) => ({
        ...p,
        tags: [{ key: maxPodsTag, value: secretValue("500"), propagateAtLaunch: false }],
      }),
      types.autoScalingGroup,
    );
    const found = await violations(podBlockFitsNode, secretTag);
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes(`node group ${group.name} needs 501`));
    const unknownTags = withProperties(
      secretTag,
      group.name,
      (p) => ({ ...p, tags: unknownSentinel }),
      types.autoScalingGroup,
    );
    assert.deepEqual(await violations(podBlockFitsNode, unknownTags), []);
  });

  it("holds a pool in a stack without node groups to the default maxPods", async () => {
    const b = new StackBuilder("preview");
    b.add(types.ipPool, "pods", () => ({ spec: { cidr: "100.64.0.0/16", blockSize: 26 } }));
    const found = await violations(podBlockFitsNode, b.resources);
    assert.equal(found.length, 1);
    assert.ok(found[0].message.includes("nodes outside this stack"));
    assert.equal(found[0].urn, urnOf(types.ipPool, "pods"));
  });
});

describe("pod-pool-capacity", () => {
  it("reports a pool with fewer blocks than the groups' nodes", async () => {
    const blocks = blocksInPool(Number(plan.podPool.cidr.split("/")[1]), plan.podPool.blockSize);
    const inputs = withProperties(
      programResources(plan, "preview"),
      "general",
      (p) => ({ ...p, maxSize: blocks }),
      types.autoScalingGroup,
    );
    const found = await violations(podPoolCapacity, inputs);
    assert.equal(found.length, 1);
    assert.match(found[0].message, /\[pool-too-small-for-nodes\]/);
    assert.equal(found[0].urn, calicoUrn);
  });

  it("reports each subnet too small for the nodes that can land in it", async () => {
    let inputs = programResources(plan, "update");
    for (const zone of plan.availabilityZones) {
      const small = `${zone.privateSubnet.cidr.split("/")[0]}/28`;
      inputs = withProperties(inputs, `${zone.name}-private`, (p) => ({ ...p, cidrBlock: small }));
    }
    const found = await violations(podPoolCapacity, inputs);
    assert.deepEqual(
      found.map((v) => v.urn).sort(),
      plan.availabilityZones.map((zone) => urnOf(types.subnet, `${zone.name}-private`)).sort(),
    );
  });
});

/** A hand-written program: one pool, `subnets` subnets, one group spanning them. */
function smallCluster(subnets: number, ipPool: Props): AnalyzerResourceInput[] {
  const b = new StackBuilder("preview");
  b.add(types.vpc, "main", () => ({ cidrBlock: "10.0.0.0/16" }));
  for (let i = 0; i < subnets; i++) {
    b.add(types.subnet, `nodes-${i}`, (ref) => ({
      vpcId: ref("vpcId", "main"),
      cidrBlock: `10.0.${i}.0/24`,
    }));
  }
  b.add(types.autoScalingGroup, "workers", (ref) => ({
    maxSize: 10,
    vpcZoneIdentifiers: Array.from({ length: subnets }, (_, i) =>
      ref("vpcZoneIdentifiers", `nodes-${i}`),
    ),
  }));
  b.add(types.ipPool, "pods", () => ({
    spec: { cidr: "100.64.0.0/16", blockSize: 24, ...ipPool },
  }));
  return b.resources;
}

describe("cross-subnet-encapsulation", () => {
  it("reports a pool without encapsulation when nodes span subnets", async () => {
    const found = await violations(
      crossSubnetEncapsulation,
      withPool(programResources(plan, "preview"), { encapsulation: "None" }),
    );
    assert.equal(found.length, 1);
    assert.equal(found[0].urn, calicoUrn);
    assert.match(found[0].message, /\[encapsulation-required\]/);
  });

  it("reads raw IPPool modes: Never fails across subnets, not within one", async () => {
    const never = { ipipMode: "Never", vxlanMode: "Never" };
    assert.equal((await violations(crossSubnetEncapsulation, smallCluster(2, never))).length, 1);
    assert.deepEqual(await violations(crossSubnetEncapsulation, smallCluster(1, never)), []);
    assert.deepEqual(
      await violations(crossSubnetEncapsulation, smallCluster(2, { vxlanMode: "CrossSubnet" })),
      [],
    );
  });
});

describe("calico-ports-open", () => {
  const isRule = (name: string) => (r: AnalyzerResourceInput) =>
    r.type === types.ingressRule && r.name.endsWith(name);
  const groupsOf = (role: "master" | "worker") => plan.nodeGroups.filter((g) => g.role === role);

  it("reports every group when no rule lets IPIP in", async () => {
    const found = await violations(
      calicoPortsOpen,
      without(programResources(plan, "preview"), isRule("-ipip")),
    );
    assert.equal(found.length, plan.nodeGroups.length);
    assert.ok(
      found.every(
        (v) => v.message.includes("IP protocol 4 (IPIP)") && !v.message.includes("TCP 179"),
      ),
    );
    assert.deepEqual(
      new Set(found.map((v) => v.urn)),
      new Set([urnOf(types.securityGroup, "master"), urnOf(types.securityGroup, "node")]),
    );
  });

  it("reports only the groups behind the security group that lacks BGP", async () => {
    // payments-prod kept on BGP (its own plan routes with Felix past 100 nodes).
    const { config } = loadExample("payments-prod");
    const meshed = planAddresses({
      ...config,
      calico: { ...config.calico, fullMeshMaxNodes: 200 },
    });
    const lacksBgp = (target: typeof plan) =>
      without(
        programResources(target, "update"),
        (r) => isRule("-bgp")(r) && r.name.startsWith("node-"),
      );
    assert.deepEqual(await violations(calicoPortsOpen, lacksBgp(plan)), [], "BGP off: no TCP 179");
    const found = await violations(calicoPortsOpen, lacksBgp(meshed));
    assert.equal(found.length, groupsOf("worker").length);
    assert.ok(
      found.every(
        (v) => v.message.includes("TCP 179 (BGP)") && v.urn === urnOf(types.securityGroup, "node"),
      ),
    );
  });

  it("accepts a CIDR source that holds the nodes' subnets, and needs nothing for VXLAN", async () => {
    const fromCidr = (cidr: string) =>
      programResources(plan, "preview").map((r) =>
        isRule("-ipip")(r)
          ? {
              ...r,
              properties: { ...r.properties, referencedSecurityGroupId: undefined, cidrIpv4: cidr },
              propertyDependencies: {
                securityGroupId: r.propertyDependencies?.securityGroupId ?? [],
              },
            }
          : r,
      );
    assert.deepEqual(await violations(calicoPortsOpen, fromCidr(plan.vpcCidr)), []);
    const elsewhere = await violations(calicoPortsOpen, fromCidr("192.168.0.0/16"));
    assert.equal(elsewhere.length, plan.nodeGroups.length);
    const vxlan = withPool(
      without(programResources(plan, "preview"), (r) => r.type === types.ingressRule),
      { encapsulation: "VXLANCrossSubnet" },
    );
    assert.deepEqual(await violations(calicoPortsOpen, vxlan), []);
  });

  it("does not report a group whose rules it cannot read", async () => {
    const noIpip = without(programResources(plan, "preview"), isRule("-ipip"));
    // Every rule of the node group's security group has an unknown protocol.
    let unknownProtocol = noIpip;
    for (const name of ["node-from-node-bgp", "node-from-master-bgp"]) {
      unknownProtocol = withProperties(unknownProtocol, name, (p) => ({
        ...p,
        ipProtocol: unknownSentinel,
      }));
    }
    const found = await violations(calicoPortsOpen, unknownProtocol);
    assert.equal(found.length, groupsOf("master").length);
    assert.ok(found.every((v) => v.urn === urnOf(types.securityGroup, "master")));
  });

  it("is silent when a rule's group cannot be related", async () => {
    const noIpip = without(programResources(plan, "preview"), isRule("-ipip"));
    const floating = noIpip.map((r) =>
      r.name === "node-from-node-bgp" ? { ...r, propertyDependencies: {}, dependencies: [] } : r,
    );
    assert.deepEqual(await violations(calicoPortsOpen, floating), []);
  });
});
