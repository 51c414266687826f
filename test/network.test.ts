import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { type AddressPlan, planAddresses } from "../lib/plan/addressPlan";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import type { RecordedResource } from "../lib/harness/mockEngine";
import { commonTags } from "../lib/naming";
import { Network, type NatGatewayMode, natPlacement } from "../components/network";
import { isUnknown, recordScenario, type ResourceGraph } from "./support/awsProvider";
import { exampleStacks, loadExample } from "./support/stacks";

const natModes: readonly NatGatewayMode[] = ["perAz", "single", "none"];
const modes = [
  { preview: true, label: "preview" },
  { preview: false, label: "update" },
] as const;

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  routeTable: "aws:ec2/routeTable:RouteTable",
  association: "aws:ec2/routeTableAssociation:RouteTableAssociation",
  route: "aws:ec2/route:Route",
  nat: "aws:ec2/natGateway:NatGateway",
  eip: "aws:ec2/eip:Eip",
  igw: "aws:ec2/internetGateway:InternetGateway",
  endpoint: "aws:ec2/vpcEndpoint:VpcEndpoint",
  endpointAssociation: "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation",
  defaultSg: "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
};

function withNat(config: ClusterConfig, natGateways: NatGatewayMode): ClusterConfig {
  return { ...config, natGateways };
}

async function render(config: ClusterConfig, plan: AddressPlan, preview: boolean) {
  return recordScenario(config, preview, (provider) => {
    new Network("network", { config, plan }, { provider });
  });
}

const tags = (resource: RecordedResource) => resource.inputs.tags as Record<string, string>;

/** The subnets associated with a route table. */
function subnetsOf(graph: ResourceGraph, routeTable: RecordedResource): RecordedResource[] {
  return graph
    .ofType(T.association)
    .filter((association) => graph.ref(association, "routeTableId") === routeTable)
    .map((association) => graph.ref(association, "subnetId"));
}

function defaultRoutesOf(graph: ResourceGraph, routeTable: RecordedResource): RecordedResource[] {
  return graph
    .ofType(T.route)
    .filter(
      (route) =>
        graph.ref(route, "routeTableId") === routeTable &&
        route.inputs.destinationCidrBlock === "0.0.0.0/0",
    );
}

for (const stack of exampleStacks) {
  const example = loadExample(stack);
  const zones = example.plan.availabilityZones;
  const firstSlotZone = [...zones].sort((a, b) => a.slot - b.slot)[0].name;

  for (const natGateways of natModes) {
    for (const { preview, label } of modes) {
      describe(`Network: ${stack}, natGateways ${natGateways}, ${label}`, () => {
        const config = withNat(example.config, natGateways);
        const { plan } = example;
        let rendering: Promise<ResourceGraph>;
        // In a hook, not at collection: the mock engine is global, scenarios run one by one.
        before(() => {
          rendering = render(config, plan, preview);
          return rendering.then(() => undefined);
        });

        it("declares the expected resources per AZ", async () => {
          const graph = await rendering;
          const natCount = { perAz: zones.length, single: 1, none: 0 }[natGateways];
          const privateDefaults = natGateways === "none" ? 0 : zones.length;
          const counts: Record<string, number> = {
            [T.vpc]: 1,
            [T.subnet]: 2 * zones.length,
            [T.routeTable]: 1 + zones.length,
            [T.association]: 2 * zones.length,
            [T.route]: 1 + privateDefaults,
            [T.nat]: natCount,
            [T.eip]: natCount,
            [T.igw]: 1,
            [T.endpoint]: 1,
            [T.endpointAssociation]: zones.length,
            [T.defaultSg]: 1,
          };
          for (const [type, count] of Object.entries(counts)) {
            assert.equal(graph.ofType(type).length, count, type);
          }
        });

        it("gives every subnet the planner's CIDR, its AZ, and no public IPs", async () => {
          const graph = await rendering;
          const vpc = graph.one(T.vpc, "vpc");
          for (const zone of zones) {
            for (const [role, subnetPlan] of [
              ["public", zone.publicSubnet],
              ["private", zone.privateSubnet],
            ] as const) {
              const subnet = graph
                .ofType(T.subnet)
                .find(
                  (s) =>
                    s.inputs.availabilityZone === zone.name &&
                    tags(s)[`kubernetes.io/role/${role === "public" ? "elb" : "internal-elb"}`] ===
                      "1",
                );
              assert.ok(subnet, `${zone.name} ${role} subnet`);
              assert.equal(subnet.inputs.cidrBlock, subnetPlan.cidr);
              assert.equal(subnet.inputs.mapPublicIpOnLaunch, false);
              assert.equal(graph.ref(subnet, "vpcId"), vpc);
            }
          }
        });

        it("tags every subnet for the cluster and its load balancer role", async () => {
          const graph = await rendering;
          for (const subnet of graph.ofType(T.subnet)) {
            const subnetTags = tags(subnet);
            assert.equal(subnetTags[`kubernetes.io/cluster/${config.clusterName}`], "owned");
            const isPublic = subnetTags["kubernetes.io/role/elb"] === "1";
            const isPrivate = subnetTags["kubernetes.io/role/internal-elb"] === "1";
            assert.ok(isPublic !== isPrivate, `${subnet.name} has exactly one role tag`);
            assert.match(subnetTags.Name, new RegExp(String(subnet.inputs.availabilityZone)));
          }
        });

        it("puts common tags on everything through the AWS provider's default tags", async () => {
          const graph = await rendering;
          const awsResources = graph.resources.filter((r) => r.type.startsWith("aws:"));
          assert.ok(awsResources.length > 0);
          for (const resource of awsResources) {
            const provider = graph.providerOf(resource);
            assert.equal(provider?.type, "pulumi:providers:aws", resource.name);
            const defaultTags = JSON.parse(String(provider.inputs.defaultTags)) as {
              tags: Record<string, string>;
            };
            assert.deepEqual(defaultTags.tags, commonTags(config));
          }
        });

        it("has a VPC with DNS, and a default security group with no rules", async () => {
          const graph = await rendering;
          const vpc = graph.one(T.vpc, "vpc");
          assert.equal(vpc.inputs.cidrBlock, plan.vpcCidr);
          assert.equal(vpc.inputs.enableDnsSupport, true);
          assert.equal(vpc.inputs.enableDnsHostnames, true);
          const [defaultSg] = graph.ofType(T.defaultSg);
          assert.equal(graph.ref(defaultSg, "vpcId"), vpc);
          assert.deepEqual(defaultSg.inputs.ingress, []);
          assert.deepEqual(defaultSg.inputs.egress, []);
        });

        it("routes public subnets to the internet gateway", async () => {
          const graph = await rendering;
          const igw = graph.ofType(T.igw)[0];
          const publicSubnets = graph
            .ofType(T.subnet)
            .filter((subnet) => tags(subnet)["kubernetes.io/role/elb"] === "1");
          const tables = new Set(
            graph
              .ofType(T.association)
              .filter((a) => publicSubnets.includes(graph.ref(a, "subnetId")))
              .map((a) => graph.ref(a, "routeTableId")),
          );
          assert.equal(tables.size, 1, "one public route table");
          const [table] = [...tables];
          const routes = defaultRoutesOf(graph, table);
          assert.equal(routes.length, 1);
          assert.equal(graph.ref(routes[0], "gatewayId"), igw);
          assert.equal(table.inputs.routes, undefined, "no inline routes");
        });

        it("routes each private subnet through the NAT gateway the mode gives it", async () => {
          const graph = await rendering;
          const expected = natPlacement(zones, natGateways);
          // Independent of natPlacement: what each mode means in words.
          for (const zone of zones) {
            const want = { perAz: zone.name, single: firstSlotZone, none: undefined }[natGateways];
            assert.equal(expected[zone.name], want);
          }
          const privateSubnets = graph
            .ofType(T.subnet)
            .filter((subnet) => tags(subnet)["kubernetes.io/role/internal-elb"] === "1");
          const privateTables = new Set<RecordedResource>();
          for (const subnet of privateSubnets) {
            const zone = String(subnet.inputs.availabilityZone);
            const tables = graph
              .ofType(T.association)
              .filter((a) => graph.ref(a, "subnetId") === subnet)
              .map((a) => graph.ref(a, "routeTableId"));
            assert.equal(tables.length, 1, `${zone}: one route table`);
            const [table] = tables;
            assert.deepEqual(subnetsOf(graph, table), [subnet], `${zone}: table of its own`);
            assert.equal(table.inputs.routes, undefined, "no inline routes");
            privateTables.add(table);
            const routes = defaultRoutesOf(graph, table);
            if (expected[zone] === undefined) {
              assert.equal(routes.length, 0, `${zone}: no default route without NAT`);
              continue;
            }
            assert.equal(routes.length, 1, `${zone}: one default route`);
            assert.equal(routes[0].inputs.gatewayId, undefined, "never the internet gateway");
            const nat = graph.ref(routes[0], "natGatewayId");
            assert.equal(nat.type, T.nat);
            const natSubnet = graph.ref(nat, "subnetId");
            assert.equal(natSubnet.inputs.availabilityZone, expected[zone]);
            assert.equal(tags(natSubnet)["kubernetes.io/role/elb"], "1", "NAT in a public subnet");
            assert.deepEqual(
              graph.sources(nat, "allocationId").map((source) => source.type),
              [T.eip],
            );
          }
          assert.equal(privateTables.size, zones.length);
        });

        it("adds an S3 gateway endpoint to every private route table", async () => {
          const graph = await rendering;
          const [endpoint] = graph.ofType(T.endpoint);
          assert.equal(endpoint.inputs.serviceName, `com.amazonaws.${config.region}.s3`);
          assert.equal(endpoint.inputs.vpcEndpointType, "Gateway");
          const tables = graph
            .ofType(T.endpointAssociation)
            .map((association) => {
              assert.equal(graph.ref(association, "vpcEndpointId"), endpoint);
              return graph.ref(association, "routeTableId");
            })
            .map((table) =>
              subnetsOf(graph, table).map((s) => tags(s)["kubernetes.io/role/internal-elb"]),
            );
          assert.deepEqual(
            tables,
            zones.map(() => ["1"]),
          );
        });

        it("names resources from AZ names and roles only", async () => {
          const graph = await rendering;
          const zoneNames = zones.map((zone) => zone.name);
          for (const resource of graph.resources.filter((r) => r.type.startsWith("aws:"))) {
            assert.ok(!resource.name.includes(config.clusterName), resource.name);
            const withoutZones = zoneNames.reduce(
              (name, zone) => name.replace(zone, ""),
              resource.name,
            );
            const positions = withoutZones.split("-").filter((part) => /^\d+$/.test(part));
            assert.deepEqual(positions, [], `${resource.name} has no list position`);
          }
        });
      });
    }
  }

  describe(`Network: ${stack}, editing the AZ list`, () => {
    /** URN → known inputs, in update mode (where ids are stable mock ids). */
    async function snapshot(config: ClusterConfig) {
      const graph = await render(config, planAddresses(config), false);
      return new Map(graph.resources.map((r) => [r.urn.replace(/scenario\d+/, ""), r.inputs]));
    }

    it("replaces and changes nothing when the AZs are listed in another order", async () => {
      const reordered = {
        ...example.config,
        availabilityZones: [...example.config.availabilityZones].reverse(),
      };
      assert.deepEqual(await snapshot(reordered), await snapshot(example.config));
    });

    it("leaves every existing resource as it was when an AZ is added", async () => {
      const used = new Set(example.config.availabilityZones.map((zone) => zone.slot));
      const slot = [...Array(8).keys()].reverse().find((candidate) => !used.has(candidate));
      assert.ok(slot !== undefined);
      const added = `${example.config.region}${String.fromCharCode(97 + slot)}`;
      const grown = {
        ...example.config,
        availabilityZones: [...example.config.availabilityZones, { name: added, slot }],
      };
      const before = await snapshot(example.config);
      const after = await snapshot(grown);
      for (const [urn, inputs] of before) {
        assert.ok(after.has(urn), `${urn} kept`);
        assert.deepEqual(after.get(urn), inputs, `${urn} unchanged`);
      }
      assert.ok(after.size > before.size);
    });
  });
}

it("reports unknown ids in preview", async () => {
  const { config, plan } = loadExample(exampleStacks[0]);
  const graph = await render(config, plan, true);
  const subnet = graph.ofType(T.subnet)[0];
  assert.ok(isUnknown(subnet.inputs.vpcId), "preview really has unknown ids");
});
