/**
 * A stack without NAT gateways (data-staging) under the mock engine: the VPC
 * interface endpoints its nodes need, the node groups waiting for them, the
 * cluster's init marker. Its own file: the program runs once per process.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { interfaceEndpointServices } from "../components/network/interfaceEndpoints";
import { runProgramUnderMocks } from "../lib/harness/programRun";

describe("a private cluster (natGateways: none)", () => {
  it("without NAT: interface endpoints for the AWS APIs, and the node groups wait for them", async () => {
    const result = await runProgramUnderMocks({ stack: "data-staging", preview: true });
    assert.equal(result.ok, true, !result.ok ? result.error : "");
    const endpoints = result.resources.filter(
      (resource) =>
        resource.type === "aws:ec2/vpcEndpoint:VpcEndpoint" &&
        resource.inputs.vpcEndpointType === "Interface",
    );
    assert.deepEqual(
      endpoints.map((endpoint) => endpoint.inputs.serviceName).sort(),
      [...interfaceEndpointServices].map((service) => `com.amazonaws.us-east-1.${service}`).sort(),
    );
    assert.ok(endpoints.every((endpoint) => endpoint.inputs.privateDnsEnabled === true));
    const groups = result.resources.filter((r) => r.type === "aws:autoscaling/group:Group");
    assert.ok(groups.length > 0);
    for (const group of groups) {
      for (const endpoint of endpoints) {
        assert.ok(
          group.dependencies.includes(endpoint.urn),
          `${group.name} waits for ${endpoint.name}`,
        );
      }
      assert.ok(!group.dependencies.some((urn) => urn.includes("aws:ec2/route:Route")), group.name);
    }
    const marker = result.resources.find((r) => r.type === "aws:ssm/parameter:Parameter");
    assert.equal(marker?.inputs.name, "/calico-cluster/data-staging/kubeadm-init");
    assert.deepEqual(marker?.ignoreChanges, ["value", "insecureValue"]);
  });
});
