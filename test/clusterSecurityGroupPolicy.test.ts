/**
 * `one-cluster-security-group` through the Analyzer protocol, against the
 * compiled pack started as the CLI starts it: the program's shape passes; a
 * launch template, launch configuration or instance with two groups tagged for
 * one cluster is refused, in preview (dependency URNs) and update (ids); groups
 * whose tags are unknown, tagged for another cluster, or outside the stack never count.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type AnalyzerResourceInput, unknownSentinel } from "../lib/analyzer/client";
import { startedPack } from "./support/packBuild";
import {
  type Mode,
  StackBuilder,
  programResources,
  types,
  urnOf,
  withProperties,
} from "./support/policyResources";
import { loadExample } from "./support/stacks";

const { plan } = loadExample("payments-prod");
const clusterTag = `kubernetes.io/cluster/${plan.clusterName}`;
const pack = startedPack();

const violations = async (resources: readonly AnalyzerResourceInput[]) =>
  (await pack().analyzeStack(resources)).diagnostics.filter(
    (d) => d.policyName === "one-cluster-security-group",
  );

/** The program's stack plus one more group, and a worker template that carries it as well. */
function withSecondGroup(mode: Mode, tags: unknown): AnalyzerResourceInput[] {
  const b = new StackBuilder(mode);
  b.resources.push(...programResources(plan, mode));
  b.add(types.securityGroup, "extra", (ref) => ({ vpcId: ref("vpcId", "vpc"), tags }));
  const template = plan.nodeGroups.find((group) => group.role === "worker")?.name ?? "";
  const resources = [...b.resources];
  const extraId = mode === "preview" ? unknownSentinel : "extra-id";
  return withProperties(
    resources.map((r) =>
      r.name === template && r.type === types.launchTemplate && mode === "preview"
        ? {
            ...r,
            propertyDependencies: {
              ...r.propertyDependencies,
              networkInterfaces: [
                ...(r.propertyDependencies?.networkInterfaces ?? []),
                urnOf(types.securityGroup, "extra"),
              ],
            },
          }
        : r,
    ),
    template,
    (props) => {
      const [primary] = props.networkInterfaces as { securityGroups: string[] }[];
      primary.securityGroups = [...primary.securityGroups, extraId];
      return props;
    },
    types.launchTemplate,
  );
}

for (const mode of ["preview", "update"] as const) {
  describe(`one-cluster-security-group (${mode})`, () => {
    it("passes the program's groups: one tagged group per node", async () => {
      assert.deepEqual(await violations(programResources(plan, mode)), []);
    });

    it("refuses a launch template with two groups tagged for the cluster, on the template", async () => {
      const found = await violations(withSecondGroup(mode, { [clusterTag]: "shared" }));
      assert.equal(found.length, 1);
      const [violation] = found;
      assert.equal(violation.enforcementLevel, "mandatory");
      const template = plan.nodeGroups.find((group) => group.role === "worker")?.name ?? "";
      assert.equal(violation.urn, urnOf(types.launchTemplate, template));
      assert.match(violation.message, /\[multiple-cluster-security-groups\]/);
      assert.match(violation.message, new RegExp(`2 security groups tagged ${clusterTag}`));
      assert.match(violation.message, /node, extra|extra, node/);
      assert.match(violation.message, /Fix: /);
    });

    it("ignores a second group tagged for another cluster, or untagged", async () => {
      assert.deepEqual(
        await violations(withSecondGroup(mode, { "kubernetes.io/cluster/other": "owned" })),
        [],
      );
      assert.deepEqual(await violations(withSecondGroup(mode, { Name: "extra" })), []);
    });

    it("never counts a group whose tags are unknown", async () => {
      assert.deepEqual(await violations(withSecondGroup(mode, unknownSentinel)), []);
      assert.deepEqual(
        await violations(withSecondGroup(mode, { [clusterTag]: unknownSentinel })),
        [],
      );
    });
  });
}

describe("one-cluster-security-group, hand-written resources", () => {
  it("refuses an instance and a launch configuration by id, and ignores ids outside the stack", async () => {
    const b = new StackBuilder("update");
    for (const name of ["a", "b"]) {
      b.add(types.securityGroup, name, () => ({ tags: { "kubernetes.io/cluster/demo": "owned" } }));
    }
    b.add("aws:ec2/instance:Instance", "box", () => ({
      vpcSecurityGroupIds: ["a-id", "b-id", "sg-0external"],
    }));
    b.add("aws:ec2/launchConfiguration:LaunchConfiguration", "old", () => ({
      securityGroups: ["a-id", "sg-0external"],
    }));
    b.add("aws:ec2/launchConfiguration:LaunchConfiguration", "bad", () => ({
      securityGroups: ["b-id", "a-id"],
    }));
    const found = await violations(b.resources);
    assert.deepEqual(found.map((d) => d.urn).sort(), [
      urnOf("aws:ec2/instance:Instance", "box"),
      urnOf("aws:ec2/launchConfiguration:LaunchConfiguration", "bad"),
    ]);
  });
});
