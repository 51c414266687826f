import { apiServerPort } from "../lib/ports";
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type AddressPlan, planAddresses } from "../lib/plan/addressPlan";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import type { RecordedResource } from "../lib/harness/mockEngine";
import { Network, type NatGatewayMode, natZones } from "../components/network";
import { SecurityGroups, securityGroupRules } from "../components/securityGroups";
import { apiEndpointProblems } from "../lib/config/clusterConfig";
import { describeProblem } from "../lib/config/problems";
import { recordScenario, type ResourceGraph } from "./support/awsProvider";
import { exampleStacks, loadExample } from "./support/stacks";

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  group: "aws:ec2/securityGroup:SecurityGroup",
  ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
  eip: "aws:ec2/eip:Eip",
};

/** A documentation range (RFC 5737) for stacks that have no allowed CIDRs of their own. */
const exampleOfficeRange = "192.0.2.0/24";

type Access = "public" | "private";

/** An example stack's config with another API access and NAT mode. */
function variant(
  config: ClusterConfig,
  access: Access,
  natGateways: NatGatewayMode,
): ClusterConfig {
  const own = config.apiEndpoint.allowedCidrs;
  return {
    ...config,
    natGateways,
    // A public endpoint needs at least one range; a private one keeps the stack's (maybe none).
    apiEndpoint:
      access === "public"
        ? { access, allowedCidrs: own.length > 0 ? own : [exampleOfficeRange] }
        : { access, allowedCidrs: own },
  };
}

/** A rule as the resources say it, peers resolved to group roles or CIDRs. */
interface Rule {
  readonly resource: RecordedResource;
  readonly direction: "ingress" | "egress";
  readonly group: string;
  readonly protocol: string;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  readonly peerGroup: string | undefined;
  readonly cidr: unknown;
  readonly cidrSources: readonly RecordedResource[];
}

function rulesOf(graph: ResourceGraph): Rule[] {
  const roleOf = (group: RecordedResource) => {
    assert.equal(group.type, T.group);
    return group.name;
  };
  return (["ingress", "egress"] as const).flatMap((direction) =>
    graph.ofType(T[direction]).map((resource) => ({
      resource,
      direction,
      group: roleOf(graph.ref(resource, "securityGroupId")),
      protocol: String(resource.inputs.ipProtocol),
      fromPort: resource.inputs.fromPort as number | undefined,
      toPort: resource.inputs.toPort as number | undefined,
      peerGroup:
        resource.inputs.referencedSecurityGroupId === undefined
          ? undefined
          : roleOf(graph.ref(resource, "referencedSecurityGroupId")),
      cidr: resource.inputs.cidrIpv4,
      cidrSources: graph.sources(resource, "cidrIpv4"),
    })),
  );
}

/** Whether a rule lets TCP traffic to `port` through. */
function coversTcp(rule: Rule, port: number): boolean {
  if (rule.protocol === "-1") return true;
  if (rule.protocol !== "tcp" && rule.protocol !== "6") return false;
  return (rule.fromPort ?? 0) <= port && port <= (rule.toPort ?? 65535);
}

const allowedDescription = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]{1,255}$/;

for (const stack of exampleStacks) {
  const example = loadExample(stack);
  const { plan } = example;

  describe(`security group rules (pure): ${stack}`, () => {
    it("has unique keys and descriptions AWS accepts", () => {
      for (const access of ["public", "private"] as const) {
        const config = variant(example.config, access, "perAz");
        const rules = securityGroupRules(config, natZones(plan.availabilityZones, "perAz"));
        for (const direction of ["ingress", "egress"]) {
          const keys = rules.filter((r) => r.direction === direction).map((r) => r.key);
          assert.equal(new Set(keys).size, keys.length, `${direction} keys unique`);
        }
        for (const rule of rules) assert.match(rule.description, allowedDescription, rule.key);
      }
    });
  });

  for (const access of ["public", "private"] as const) {
    for (const natGateways of ["perAz", "single", "none"] as const) {
      const config = variant(example.config, access, natGateways);
      if (access === "public" && natGateways === "none") {
        it(`SecurityGroups: ${stack}, public API without NAT is refused naming both keys`, async () => {
          await assert.rejects(
            recordScenario(config, false, (provider) => {
              new SecurityGroups("security", { config, vpcId: "vpc-1" }, { provider });
            }),
            (error: Error) =>
              /calico-cluster:apiEndpoint\.access = "public"/.test(error.message) &&
              /calico-cluster:natGateways = "none"/.test(error.message),
          );
        });
        continue;
      }
      for (const preview of [true, false]) {
        const label = `${stack}, ${access} API, natGateways ${natGateways}, ${preview ? "preview" : "update"}`;
        describe(`SecurityGroups: ${label}`, () => {
          let graph: ResourceGraph;
          let rules: Rule[];
          before(async () => {
            graph = await render(config, plan, preview);
            rules = rulesOf(graph);
          });
          const ingress = (group: string) =>
            rules.filter((rule) => rule.direction === "ingress" && rule.group === group);

          it("puts the three groups in the cluster VPC", () => {
            const vpc = graph.one(T.vpc, "vpc");
            const groups = graph.ofType(T.group);
            assert.deepEqual(groups.map((g) => g.name).sort(), ["api-lb", "master", "node"]);
            for (const group of groups) {
              assert.equal(graph.ref(group, "vpcId"), vpc);
              assert.equal(group.inputs.ingress, undefined, "no inline rules");
              assert.equal(group.inputs.egress, undefined, "no inline rules");
            }
          });

          it("opens IPIP, BGP, Typha and kubelet between all cluster nodes", () => {
            for (const group of ["master", "node"]) {
              for (const source of ["master", "node"]) {
                const from = ingress(group).filter((rule) => rule.peerGroup === source);
                assert.ok(
                  from.some((rule) => rule.protocol === "4"),
                  `${source} to ${group}: IPIP`,
                );
                for (const port of [179, 5473, 10250]) {
                  assert.ok(
                    from.some((rule) => coversTcp(rule, port)),
                    `${source} to ${group}: TCP ${port}`,
                  );
                }
              }
            }
          });

          it("takes pod traffic on every node, but never on etcd's ports", () => {
            const fromPods = (group: string) =>
              ingress(group).filter((r) => r.cidr === config.podCidr);
            assert.ok(fromPods("node").some((rule) => rule.protocol === "-1"));
            const masterPods = fromPods("master");
            for (const port of [53, 443, 5473, 9443]) {
              assert.ok(
                masterPods.some((rule) => coversTcp(rule, port)),
                `master TCP ${port}`,
              );
            }
            assert.ok(masterPods.some((rule) => rule.protocol === "udp"));
          });

          it("lets only masters reach etcd on the masters", () => {
            for (const port of [2379, 2380]) {
              const open = ingress("master").filter((rule) => coversTcp(rule, port));
              assert.ok(open.length > 0, `etcd ${port} open between masters`);
              for (const rule of open) assert.equal(rule.peerGroup, "master", rule.resource.name);
            }
          });

          it("opens the API on the masters to masters, nodes and the load balancer", () => {
            const api = ingress("master").filter((rule) => coversTcp(rule, apiServerPort));
            for (const source of ["master", "node", "api-lb"]) {
              assert.ok(
                api.some((rule) => rule.peerGroup === source),
                source,
              );
            }
          });

          it("admits 0.0.0.0/0 nowhere but a public listener that lists it", () => {
            const allowed = new Set(config.apiEndpoint.allowedCidrs);
            for (const rule of rules.filter((r) => r.direction === "ingress")) {
              if (rule.peerGroup !== undefined) continue;
              if (rule.cidr === config.podCidr && rule.group !== "api-lb") continue;
              assert.equal(rule.group, "api-lb", `${rule.resource.name} is on the listener`);
              assert.ok(
                rule.fromPort === apiServerPort && rule.toPort === apiServerPort,
                `${rule.resource.name} is the API port only`,
              );
              if (rule.cidrSources.length > 0) {
                assert.equal(access, "public", "NAT addresses only for a public endpoint");
                assert.deepEqual(
                  rule.cidrSources.map((source) => source.type),
                  [T.eip],
                );
                if (!preview) assert.match(String(rule.cidr), /\/32$/);
              } else {
                assert.ok(allowed.has(String(rule.cidr)), `${String(rule.cidr)} is allowed`);
              }
              if (access === "private") assert.doesNotMatch(String(rule.cidr), /\/0$/);
            }
          });

          it("gives the listener each allowed range as its own rule, and its callers", () => {
            const listener = ingress("api-lb");
            for (const cidr of config.apiEndpoint.allowedCidrs) {
              assert.equal(listener.filter((rule) => rule.cidr === cidr).length, 1, cidr);
            }
            const fromGroups = listener.map((rule) => rule.peerGroup).filter(Boolean);
            const fromNat = listener.filter((rule) => rule.cidrSources.length > 0);
            if (access === "private") {
              assert.deepEqual(fromGroups.sort(), ["master", "node"]);
              assert.equal(fromNat.length, 0);
            } else {
              assert.deepEqual(fromGroups, [], "an internet-facing NLB never sees private sources");
              const natEips = graph.ofType(T.eip);
              assert.equal(fromNat.length, natEips.length);
              assert.deepEqual(
                new Set(fromNat.flatMap((rule) => rule.cidrSources)),
                new Set(natEips),
              );
            }
          });

          it("lets the load balancer send only to the masters' API port", () => {
            const out = rules.filter((r) => r.direction === "egress" && r.group === "api-lb");
            assert.equal(out.length, 1);
            assert.equal(out[0].peerGroup, "master");
            assert.ok(out[0].fromPort === apiServerPort && out[0].toPort === apiServerPort);
          });

          it("describes every rule", () => {
            for (const rule of rules) {
              assert.match(String(rule.resource.inputs.description), allowedDescription);
            }
          });
        });
      }
    }
  }
}

async function render(config: ClusterConfig, plan: AddressPlan, preview: boolean) {
  return recordScenario(config, preview, (provider) => {
    const network = new Network("network", { config, plan }, { provider });
    new SecurityGroups(
      "security",
      { config, vpcId: network.vpcId, natPublicIps: network.natPublicIps },
      { provider },
    );
  });
}

describe("apiEndpointProblems", () => {
  const { config } = loadExample(exampleStacks[0]);
  it("accepts every example stack as it is", () => {
    for (const stack of exampleStacks)
      assert.deepEqual(apiEndpointProblems(loadExample(stack).config), []);
  });
  it("refuses a private endpoint open to every address, naming the key and value", () => {
    const open = {
      ...config,
      apiEndpoint: { access: "private" as const, allowedCidrs: ["10.8.0.0/16", "0.0.0.0/0"] },
    };
    const [problem, ...rest] = apiEndpointProblems(open);
    assert.equal(rest.length, 0);
    assert.match(
      describeProblem(problem),
      /calico-cluster:apiEndpoint\.allowedCidrs\[1\] = "0\.0\.0\.0\/0"/,
    );
  });
});

describe("BGP rules follow the routing mode", () => {
  const bgpRules = (rules: readonly Rule[]) =>
    rules.filter((rule) => rule.fromPort === 179 && rule.toPort === 179);
  for (const [stack, nodes] of [
    ["search-dev", 50],
    ["search-dev", 150],
    ["payments-prod", 103],
  ] as const) {
    it(`${stack} reaching ${nodes} nodes: TCP 179 only if BGP runs`, async () => {
      const { config } = loadExample(stack);
      const masters = config.availabilityZones.length;
      const others = config.workerGroups.slice(1).reduce((sum, group) => sum + group.maxSize, 0);
      const [first, ...rest] = config.workerGroups;
      const sized = {
        ...config,
        workerGroups: [{ ...first, maxSize: nodes - masters - others }, ...rest],
      };
      const plan = planAddresses(sized);
      assert.equal(plan.podPool.maxNodes, nodes);
      const graph = await recordScenario(sized, false, (provider) => {
        const network = new Network("network", { config: sized, plan }, { provider });
        new SecurityGroups(
          "security",
          {
            config: sized,
            vpcId: network.vpcId,
            natPublicIps: network.natPublicIps,
            routing: plan.routing,
          },
          { provider },
        );
      });
      const rules = rulesOf(graph);
      const expected = nodes > 100 ? 0 : 4;
      assert.equal(plan.routing.bgp, nodes <= 100);
      assert.equal(bgpRules(rules).length, expected, "masters and nodes, each from both");
      // IPIP stays open either way: Felix routes through the same tunnel.
      assert.equal(rules.filter((rule) => rule.protocol === "4").length, 4);
    });
  }
});
