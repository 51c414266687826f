/**
 * index.ts refuses a config or plan with errors before declaring any resource,
 * with the messages `npm run plan` prints and no stack trace.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runProgramUnderMocks } from "../lib/harness/programRun";
import { exampleStacks } from "./support/stacks";

const stack = exampleStacks.find((name) => name === "payments-prod") ?? exampleStacks[0];

describe("the program refuses what cannot work", () => {
  it("registers nothing for an invalid config and names each key", async () => {
    const result = await runProgramUnderMocks({
      stack,
      preview: true,
      configOverrides: {
        "calico-cluster:vpcCidr": "10.20.0.1/16",
        "calico-cluster:natGateways": "sometimes",
      },
    });
    assert.equal(result.ok, false);
    assert.deepEqual(result.resources, []);
    if (!result.ok) {
      assert.match(result.error, /calico-cluster:vpcCidr = "10\.20\.0\.1\/16" has host bits set/);
      assert.match(result.error, /calico-cluster:natGateways = "sometimes"/);
      assert.doesNotMatch(result.error, /\n\s+at /);
    }
  });

  it("refuses natGateways none without a pre-baked image and a mirror, naming both keys", async () => {
    const result = await runProgramUnderMocks({
      stack,
      preview: true,
      configOverrides: { "calico-cluster:natGateways": "none" },
    });
    assert.equal(result.ok, false);
    assert.deepEqual(result.resources, []);
    if (!result.ok) {
      assert.match(
        result.error,
        /calico-cluster:nodeImage is required with calico-cluster:natGateways = "none"/,
      );
      assert.match(
        result.error,
        /calico-cluster:registryMirror is required with calico-cluster:natGateways = "none"/,
      );
      assert.doesNotMatch(result.error, /\n\s+at /);
    }
  });

  it("registers nothing for a plan with errors and prints its findings", async () => {
    const result = await runProgramUnderMocks({
      stack,
      preview: false,
      configOverrides: { "calico-cluster:podCidr": "10.20.128.0/17" },
    });
    assert.equal(result.ok, false);
    assert.deepEqual(result.resources, []);
    if (!result.ok) {
      assert.match(result.error, /cidr-overlap/);
      assert.match(result.error, /where: calico-cluster:vpcCidr, calico-cluster:podCidr/);
    }
  });

  it("declares the whole cluster for a valid stack", async () => {
    const result = await runProgramUnderMocks({ stack, preview: true });
    assert.equal(result.ok, true, !result.ok ? result.error : "");
    const types = new Set(result.resources.map((resource) => resource.type));
    for (const type of [
      "aws:ec2/vpc:Vpc",
      "aws:ec2/subnet:Subnet",
      "aws:autoscaling/group:Group",
      "aws:lb/loadBalancer:LoadBalancer",
      "kubernetes:helm.sh/v3:Release",
    ]) {
      assert.ok(types.has(type), type);
    }
  });
});
