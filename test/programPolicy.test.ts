/**
 * The real program (index.ts) against the real pack: for every example stack,
 * in preview and update mode, the resources the program registers under the
 * mock engine (on program workers, each run isolated as in a process of its own)
 * go over gRPC to the compiled pack, started as the CLI starts it and configured
 * from the stack as `npm run check` and CI configure it. None may violate a
 * policy. Then one resource is changed the way a hand edit or a bad plan would,
 * and the pack must name the policy and the resource.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { type PolicyPackProcess, startPolicyPack } from "../lib/analyzer/client";
import { projectName } from "../lib/config/clusterConfig";
import type { RecordedResource } from "../lib/harness/mockEngine";
import { analyzeResources, defaultPackDir } from "../lib/check/stackCheck";
import { packConfigFor } from "../lib/check/packConfig";
import type { ProgramRunResult } from "../lib/harness/programRun";
import { maxPodsTagKey as maxPodsTag } from "../policy/rules/wellKnown";
import { programRuns } from "./support/programRuns";
import { exampleStacks, loadExample } from "./support/stacks";

const modes = ["preview", "update"] as const;
type Mode = (typeof modes)[number];

const runs = new Map<string, ProgramRunResult>();
const packs = new Map<string, PolicyPackProcess>();
const runKey = (stack: string, mode: Mode) => `${stack}/${mode}`;

before(async () => {
  assert.ok(
    fs.existsSync(path.join(defaultPackDir, "bin", "index.js")),
    "the policy pack is not built: run npm run build:policy",
  );
  // One pack per stack: its config (reserved ranges, service range) is the stack's.
  const started = Promise.all(
    exampleStacks.map(async (stack) => {
      const { pack } = await startPolicyPack({
        packDir: defaultPackDir,
        stack: { project: projectName, stack },
        config: packConfigFor(loadExample(stack).config),
      });
      packs.set(stack, pack);
    }),
  );
  for (const [key, run] of await programRuns(exampleStacks, modes)) runs.set(key, run);
  await started;
});

after(async () => {
  await Promise.all([...packs.values()].map((pack) => pack.close()));
});

function resourcesOf(stack: string, mode: Mode): RecordedResource[] {
  const run = runs.get(runKey(stack, mode));
  assert.ok(run, `no run for ${stack} ${mode}`);
  assert.ok(run.ok, `the program refused ${stack} (${mode}): ${run.ok ? "" : run.error}`);
  return structuredClone([...run.resources]);
}

function packFor(stack: string): PolicyPackProcess {
  const pack = packs.get(stack);
  assert.ok(pack, `no pack for ${stack}`);
  return pack;
}

const one = (resources: readonly RecordedResource[], test: (r: RecordedResource) => boolean) => {
  const found = resources.filter(test);
  assert.equal(found.length, 1, `expected one matching resource, found ${found.length}`);
  return found[0];
};

interface PoolValues {
  installation: { calicoNetwork: { ipPools: { cidr: string }[] } };
}

/** The tigera-operator Release: the one whose values declare the Installation's pools. */
const calicoRelease = (resources: readonly RecordedResource[]) =>
  one(
    resources,
    (r) =>
      r.type === "kubernetes:helm.sh/v3:Release" &&
      Array.isArray(
        (r.wireInputs.values as Partial<PoolValues> | undefined)?.installation?.calicoNetwork
          ?.ipPools,
      ),
  );

describe("the program's resources under the policy pack", () => {
  for (const stack of exampleStacks) {
    for (const mode of modes) {
      it(`${stack} (${mode}): no violation`, async () => {
        const resources = resourcesOf(stack, mode);
        const { plan } = loadExample(stack);
        // The facts the policies read are really there, with the plan's values.
        const vpc = one(resources, (r) => r.type === "aws:ec2/vpc:Vpc");
        assert.equal(vpc.wireInputs.cidrBlock, plan.vpcCidr);
        const pools = (calicoRelease(resources).wireInputs.values as PoolValues).installation
          .calicoNetwork.ipPools;
        assert.deepEqual(
          pools.map((pool) => pool.cidr),
          [plan.podPool.cidr],
        );
        const groups = resources.filter((r) => r.type === "aws:autoscaling/group:Group");
        assert.equal(groups.length, plan.nodeGroups.length);

        const violations = await analyzeResources(packFor(stack), stack, resources);
        assert.deepEqual(
          violations.map((v) => `[${v.enforcementLevel}] ${v.policyName} ${v.urn}\n${v.message}`),
          [],
        );
      });
    }
  }
});

describe("one changed resource: the pack names the policy and the resources", () => {
  const stack = exampleStacks.includes("payments-prod") ? "payments-prod" : exampleStacks[0];

  for (const mode of modes) {
    it(`the Calico pool moved onto the VPC range (${mode}): no-cidr-overlap`, async () => {
      const resources = resourcesOf(stack, mode);
      const { plan } = loadExample(stack);
      const release = calicoRelease(resources);
      (release.wireInputs.values as PoolValues).installation.calicoNetwork.ipPools[0].cidr =
        plan.vpcCidr;
      const vpc = one(resources, (r) => r.type === "aws:ec2/vpc:Vpc");

      const violations = await analyzeResources(packFor(stack), stack, resources);
      assert.deepEqual(
        violations.map((v) => [v.policyName, v.enforcementLevel, v.urn]),
        [["no-cidr-overlap", "mandatory", vpc.urn]],
      );
      assert.equal(violations[0].resourceName, vpc.name);
      assert.match(violations[0].message, /\[cidr-overlap\]/);
      assert.ok(violations[0].message.includes(`pod pool ${release.name}`));
      assert.ok(violations[0].message.includes(`(${plan.vpcCidr})`));
    });

    it(`a worker group tagged for 200 pods per node (${mode}): pod-block-fits-node`, async () => {
      const resources = resourcesOf(stack, mode);
      const { plan } = loadExample(stack);
      const worker = plan.nodeGroups.find((group) => group.role === "worker");
      assert.ok(worker);
      const group = one(
        resources,
        (r) => r.type === "aws:autoscaling/group:Group" && r.name === worker.name,
      );
      const tags = group.wireInputs.tags as { key: string; value: string }[];
      assert.ok(
        tags.some((tag) => tag.key === maxPodsTag),
        `${group.name} has no ${maxPodsTag} tag`,
      );
      for (const tag of tags) if (tag.key === maxPodsTag) tag.value = "200";
      const release = calicoRelease(resources);

      const violations = await analyzeResources(packFor(stack), stack, resources);
      assert.deepEqual(
        violations.map((v) => [v.policyName, v.enforcementLevel, v.urn]),
        [["pod-block-fits-node", "mandatory", release.urn]],
      );
      assert.match(violations[0].message, /\[block-too-small-for-pods\]/);
      assert.ok(violations[0].message.includes(`node group ${worker.name}`));
      assert.ok(violations[0].message.includes("maxPods 200"));
    });
  }
});
