/** The mock engine records what the real engine would receive. */
import assert from "node:assert/strict";
import { it } from "node:test";
import { installMockEngine, unknownValue } from "../lib/harness/mockEngine";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

const engine = installMockEngine({ project: "calico-cluster", stack: "unit", preview: true });

it("records unknown ids, dependencies, secrets and options as the engine sees them", async () => {
  const vpc = new aws.ec2.Vpc("vpc", { cidrBlock: "10.0.0.0/16" }, { protect: true });
  new aws.ec2.Subnet("subnet", {
    vpcId: vpc.id,
    cidrBlock: "10.0.0.0/24",
    tags: { token: pulumi.secret("s3cr3t") },
  });
  const [recordedVpc, subnet] = await engine.settle();
  assert.equal(recordedVpc.protect, true);
  assert.equal(subnet.wireInputs.vpcId, unknownValue);
  assert.deepEqual(subnet.propertyDependencies.vpcId, [recordedVpc.urn]);
  const tags = subnet.wireInputs.tags as Record<string, unknown>;
  assert.equal(pulumi.runtime.isRpcSecret(tags) || pulumi.runtime.isRpcSecret(tags.token), true);
});
