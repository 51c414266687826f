import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import type { AddressPlan } from "../lib/plan/addressPlan";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import type { RecordedResource } from "../lib/harness/mockEngine";
import {
  ApiLoadBalancer,
  loadBalancerName,
  maxLoadBalancerNameLength,
} from "../components/apiLoadBalancer";
import { Network } from "../components/network";
import { SecurityGroups } from "../components/securityGroups";
import { recordScenario, type ResourceGraph } from "./support/awsProvider";
import { exampleStacks, loadExample } from "./support/stacks";

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  group: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
  targetGroup: "aws:lb/targetGroup:TargetGroup",
  listener: "aws:lb/listener:Listener",
};

/** The AWS rule for load balancer and target group names. */
const awsNamePattern = /^[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;

describe("loadBalancerName", () => {
  const clusterName = fc.stringMatching(/^[a-z]([a-z0-9-]{0,62}[a-z0-9])?$/);
  it("is a valid AWS name of at most 32 characters for any cluster name", () => {
    fc.assert(
      fc.property(clusterName, fc.constantFrom("api", "api-pub", "api-int"), (name, role) => {
        const result = loadBalancerName(name, role);
        assert.ok(result.length <= maxLoadBalancerNameLength, result);
        assert.match(result, awsNamePattern);
        assert.ok(!result.startsWith("internal-"), result);
      }),
    );
  });
  it("keeps the cluster name readable when it fits, and distinct when it is cut", () => {
    assert.ok(loadBalancerName("payments-prod", "api").startsWith("payments-prod"));
    fc.assert(
      fc.property(clusterName, clusterName, (a, b) => {
        fc.pre(a !== b);
        assert.notEqual(loadBalancerName(a, "api"), loadBalancerName(b, "api"));
      }),
    );
  });
});

type Access = "public" | "private";

function withAccess(config: ClusterConfig, access: Access): ClusterConfig {
  const own = config.apiEndpoint.allowedCidrs;
  return {
    ...config,
    // An internet-facing endpoint needs NAT for the nodes to reach it.
    natGateways:
      access === "public" && config.natGateways === "none" ? "single" : config.natGateways,
    apiEndpoint:
      access === "public"
        ? { access, allowedCidrs: own.length > 0 ? own : ["192.0.2.0/24"] }
        : { access, allowedCidrs: own },
  };
}

interface Rendered {
  graph: ResourceGraph;
  api: ApiLoadBalancer;
}

async function render(config: ClusterConfig, plan: AddressPlan, preview: boolean) {
  let api: ApiLoadBalancer | undefined;
  const graph = await recordScenario(config, preview, (provider) => {
    const network = new Network("network", { config, plan }, { provider });
    const security = new SecurityGroups(
      "security",
      { config, vpcId: network.vpcId, natPublicIps: network.natPublicIps },
      { provider },
    );
    api = new ApiLoadBalancer(
      "api",
      {
        config,
        vpcId: network.vpcId,
        publicSubnetIds: network.publicSubnetIdList,
        privateSubnetIds: network.privateSubnetIdList,
        securityGroupId: security.apiLoadBalancerSecurityGroupId,
      },
      { provider },
    );
  });
  assert.ok(api);
  return { graph, api };
}

/** An output's value, or `undefined` when it is unknown (preview). */
function valueOf<T>(output: pulumi.Output<T>): Promise<T | undefined> {
  return new Promise((resolve) => {
    output.apply((value) => resolve(value));
    // An unknown output never runs apply; give it a turn, then report unknown.
    setTimeout(() => resolve(undefined), 50);
  });
}

for (const stack of exampleStacks) {
  const example = loadExample(stack);
  for (const access of ["public", "private"] as const) {
    for (const preview of [true, false]) {
      const config = withAccess(example.config, access);
      describe(`ApiLoadBalancer: ${stack}, ${access}, ${preview ? "preview" : "update"}`, () => {
        let rendered: Rendered;
        let graph: ResourceGraph;
        let loadBalancer: RecordedResource;
        before(async () => {
          rendered = await render(config, example.plan, preview);
          graph = rendered.graph;
          [loadBalancer] = graph.ofType(T.loadBalancer);
        });

        it("is one network load balancer with the right scheme, in the right subnets", () => {
          assert.equal(graph.ofType(T.loadBalancer).length, 1);
          assert.equal(loadBalancer.inputs.loadBalancerType, "network");
          assert.equal(loadBalancer.inputs.internal, access === "private");
          const subnets = graph.sources(loadBalancer, "subnets");
          const role =
            access === "public" ? "kubernetes.io/role/elb" : "kubernetes.io/role/internal-elb";
          assert.deepEqual(
            subnets.map((subnet) => subnet.inputs.availabilityZone).sort(),
            example.plan.availabilityZones.map((zone) => zone.name).sort(),
          );
          for (const subnet of subnets) {
            assert.equal((subnet.inputs.tags as Record<string, string>)[role], "1");
          }
        });

        it("has a target group on TCP 6443 with client IP preservation off", () => {
          const [targetGroup] = graph.ofType(T.targetGroup);
          assert.equal(targetGroup.inputs.preserveClientIp, "false");
          assert.equal(targetGroup.inputs.protocol, "TCP");
          assert.equal(targetGroup.inputs.port, 6443);
          assert.equal(graph.ref(targetGroup, "vpcId"), graph.one(T.vpc, "vpc"));
          const check = targetGroup.inputs.healthCheck as Record<string, unknown>;
          assert.ok(
            (check.protocol === "HTTPS" && check.path === "/readyz") || check.protocol === "TCP",
          );
        });

        it("listens on TCP 6443 and forwards to the target group", () => {
          const [listener] = graph.ofType(T.listener);
          assert.equal(listener.inputs.port, 6443);
          assert.equal(listener.inputs.protocol, "TCP");
          assert.deepEqual(graph.sources(listener, "loadBalancerArn"), [loadBalancer]);
          assert.deepEqual(graph.sources(listener, "defaultActions"), graph.ofType(T.targetGroup));
        });

        it("has its own group, which the masters admit on 6443 (the address they see)", () => {
          const sources = graph.sources(loadBalancer, "securityGroups");
          assert.deepEqual(
            sources.map((group) => group.name),
            ["api-lb"],
          );
          const [targetGroup] = graph.ofType(T.targetGroup);
          // With client IPs preserved the masters would see callers' addresses instead.
          assert.equal(targetGroup.inputs.preserveClientIp, "false");
          const admitted = graph
            .ofType(T.ingress)
            .filter(
              (rule) =>
                graph.ref(rule, "securityGroupId").name === "master" &&
                rule.inputs.referencedSecurityGroupId !== undefined &&
                graph.ref(rule, "referencedSecurityGroupId") === sources[0] &&
                rule.inputs.fromPort === 6443,
            );
          assert.equal(admitted.length, 1);
        });

        it("keeps AWS names within 32 characters", () => {
          for (const resource of [loadBalancer, ...graph.ofType(T.targetGroup)]) {
            const name = String(resource.inputs.name);
            assert.ok(name.length <= maxLoadBalancerNameLength, name);
            assert.match(name, awsNamePattern);
          }
        });

        it("gives kubeadm its DNS name and port as controlPlaneEndpoint", async () => {
          const [endpoint, host] = await Promise.all([
            valueOf(rendered.api.controlPlaneEndpoint),
            valueOf(rendered.api.endpointHost),
          ]);
          if (preview) {
            assert.equal(endpoint, undefined, "unknown until the load balancer exists");
            return;
          }
          assert.ok(host);
          assert.equal(endpoint, `${host}:6443`);
          assert.equal(await valueOf(rendered.api.dnsName), host);
        });
      });
    }
  }
}
