/**
 * The cluster's VPC: per AZ a public subnet (load balancers, NAT) and a private
 * subnet (nodes), the internet gateway, NAT gateways per `natGateways`, one
 * private route table per AZ and an S3 gateway endpoint.
 *
 * Every address comes from the AddressPlan; every logical name from a stable key
 * (AZ name, role), so adding, removing or reordering AZs in the stack file
 * replaces nothing else. Common tags (cluster, team, environment) come from the
 * AWS provider's default tags, which children inherit through `parent: this`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AddressPlan, AvailabilityZonePlan } from "../lib/plan/addressPlan";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { clusterOwnershipTag, displayName, logicalName } from "../lib/naming";

export type NatGatewayMode = ClusterConfig["natGateways"];

/**
 * Where each private subnet's default route goes: the AZ whose NAT gateway it
 * uses, or `undefined` for none.
 * @param zones the plan's AZs, in slot order
 * @returns private AZ name → AZ hosting its NAT gateway
 */
export function natPlacement(
  zones: readonly Pick<AvailabilityZonePlan, "name" | "slot">[],
  mode: NatGatewayMode,
): Record<string, string | undefined> {
  // Slot order, not list order: the first slot stays first whatever the stack file's order.
  const first = [...zones].sort((a, b) => a.slot - b.slot)[0]?.name;
  const placement: Record<string, string | undefined> = {};
  for (const zone of zones) {
    placement[zone.name] = mode === "perAz" ? zone.name : mode === "single" ? first : undefined;
  }
  return placement;
}

/** The AZs that host a NAT gateway, in slot order. */
export function natZones(
  zones: readonly Pick<AvailabilityZonePlan, "name" | "slot">[],
  mode: NatGatewayMode,
): string[] {
  const placement = natPlacement(zones, mode);
  return [...zones]
    .sort((a, b) => a.slot - b.slot)
    .map((zone) => zone.name)
    .filter((name) => Object.values(placement).includes(name));
}

/** The S3 gateway endpoint's service name in a region. */
export function s3ServiceName(region: string): string {
  return `com.amazonaws.${region}.s3`;
}

export interface NetworkArgs {
  /** Validated stack config (cluster name, region, NAT mode). Required; no default. */
  readonly config: Pick<ClusterConfig, "clusterName" | "region" | "natGateways"> &
    Partial<Pick<ClusterConfig, "ipam">>;
  /** The address plan: VPC CIDR and each AZ's subnets and slot. Required; no default. */
  readonly plan: Pick<AddressPlan, "vpcCidr" | "availabilityZones">;
}

export class Network extends pulumi.ComponentResource {
  readonly vpcId: pulumi.Output<string>;
  readonly vpcArn: pulumi.Output<string>;
  readonly vpcCidr: pulumi.Output<string>;
  /** The AZ names in slot order; the order of every `...List` output. */
  readonly availabilityZones: readonly string[];
  /** AZ name → public subnet id. */
  readonly publicSubnetIds: Record<string, pulumi.Output<string>>;
  /** AZ name → private (node) subnet id. */
  readonly privateSubnetIds: Record<string, pulumi.Output<string>>;
  /** Public subnet ids in slot order. */
  readonly publicSubnetIdList: pulumi.Output<string[]>;
  /** Private subnet ids in slot order. */
  readonly privateSubnetIdList: pulumi.Output<string[]>;
  readonly publicRouteTableId: pulumi.Output<string>;
  /** AZ name → its private route table id. */
  readonly privateRouteTableIds: Record<string, pulumi.Output<string>>;
  /** AZ hosting a NAT gateway → the NAT gateway id (empty with `natGateways: none`). */
  readonly natGatewayIds: Record<string, pulumi.Output<string>>;
  /** AZ hosting a NAT gateway → the public IPv4 address nodes' traffic leaves from. */
  readonly natPublicIps: Record<string, pulumi.Output<string>>;
  readonly s3EndpointId: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:network:Network", name, {}, opts);
    const { clusterName, region, natGateways } = args.config;
    const zones = [...args.plan.availabilityZones].sort((a, b) => a.slot - b.slot);
    const parent = { parent: this };
    const ownership = clusterOwnershipTag(clusterName);

    const vpc = new aws.ec2.Vpc(
      "vpc",
      {
        cidrBlock: args.plan.vpcCidr,
        // With a pool, IPAM allocates exactly the planned range (and refuses it if
        // taken), so plans stay offline and the pool records the VPC. Changing the
        // pool replaces the VPC: see README "AWS VPC IPAM".
        ipv4IpamPoolId: args.config.ipam?.poolId,
        enableDnsSupport: true,
        // Nodes register under their EC2 private DNS names; kubeadm and the NLB need them.
        enableDnsHostnames: true,
        tags: { Name: displayName(clusterName, "vpc") },
      },
      parent,
    );

    // Managing the default group with no rules empties it: anything launched
    // without an explicit group gets no access at all.
    new aws.ec2.DefaultSecurityGroup(
      "default",
      {
        vpcId: vpc.id,
        ingress: [],
        egress: [],
        tags: { Name: displayName(clusterName, "default-unused") },
      },
      parent,
    );

    const subnet = (zone: AvailabilityZonePlan, role: "public" | "private") =>
      new aws.ec2.Subnet(
        logicalName(zone.name, role),
        {
          vpcId: vpc.id,
          availabilityZone: zone.name,
          cidrBlock: role === "public" ? zone.publicSubnet.cidr : zone.privateSubnet.cidr,
          // Nothing gets a public address by accident: NAT and NLB bring their own.
          mapPublicIpOnLaunch: false,
          tags: {
            Name: displayName(clusterName, zone.name, role),
            ...ownership,
            ...(role === "public"
              ? { "kubernetes.io/role/elb": "1" }
              : { "kubernetes.io/role/internal-elb": "1" }),
          },
        },
        parent,
      );
    const publicSubnets = new Map(zones.map((zone) => [zone.name, subnet(zone, "public")]));
    const privateSubnets = new Map(zones.map((zone) => [zone.name, subnet(zone, "private")]));

    const internetGateway = new aws.ec2.InternetGateway(
      "internet",
      { vpcId: vpc.id, tags: { Name: displayName(clusterName, "internet") } },
      parent,
    );
    const publicRouteTable = new aws.ec2.RouteTable(
      "public",
      { vpcId: vpc.id, tags: { Name: displayName(clusterName, "public") } },
      parent,
    );
    new aws.ec2.Route(
      logicalName("public", "default"),
      {
        routeTableId: publicRouteTable.id,
        destinationCidrBlock: "0.0.0.0/0",
        gatewayId: internetGateway.id,
      },
      parent,
    );
    for (const [zone, publicSubnet] of publicSubnets) {
      new aws.ec2.RouteTableAssociation(
        logicalName(zone, "public"),
        { subnetId: publicSubnet.id, routeTableId: publicRouteTable.id },
        parent,
      );
    }

    const natGatewayIds: Record<string, pulumi.Output<string>> = {};
    const natPublicIps: Record<string, pulumi.Output<string>> = {};
    const natGatewaysByZone = new Map<string, aws.ec2.NatGateway>();
    for (const zone of natZones(zones, natGateways)) {
      const address = new aws.ec2.Eip(
        logicalName(zone, "nat"),
        { domain: "vpc", tags: { Name: displayName(clusterName, zone, "nat") } },
        parent,
      );
      const natGateway = new aws.ec2.NatGateway(
        logicalName(zone, "nat"),
        {
          allocationId: address.allocationId,
          subnetId: publicSubnets.get(zone)!.id,
          tags: { Name: displayName(clusterName, zone, "nat") },
        },
        // A NAT gateway in a VPC without an attached internet gateway fails to create.
        { parent: this, dependsOn: [internetGateway] },
      );
      natGatewaysByZone.set(zone, natGateway);
      natGatewayIds[zone] = natGateway.id;
      natPublicIps[zone] = address.publicIp;
    }

    const placement = natPlacement(zones, natGateways);
    const privateRouteTables = new Map<string, aws.ec2.RouteTable>();
    for (const [zone, privateSubnet] of privateSubnets) {
      const routeTable = new aws.ec2.RouteTable(
        logicalName(zone, "private"),
        { vpcId: vpc.id, tags: { Name: displayName(clusterName, zone, "private") } },
        parent,
      );
      privateRouteTables.set(zone, routeTable);
      new aws.ec2.RouteTableAssociation(
        logicalName(zone, "private"),
        { subnetId: privateSubnet.id, routeTableId: routeTable.id },
        parent,
      );
      const natZone = placement[zone];
      if (natZone !== undefined) {
        new aws.ec2.Route(
          logicalName(zone, "private", "default"),
          {
            routeTableId: routeTable.id,
            destinationCidrBlock: "0.0.0.0/0",
            natGatewayId: natGatewaysByZone.get(natZone)!.id,
          },
          parent,
        );
      }
    }

    // Image layers from ECR and most package mirrors come from S3; the gateway
    // endpoint keeps that traffic off the NAT gateways (and works without them).
    const s3Endpoint = new aws.ec2.VpcEndpoint(
      "s3",
      {
        vpcId: vpc.id,
        serviceName: s3ServiceName(region),
        vpcEndpointType: "Gateway",
        tags: { Name: displayName(clusterName, "s3") },
      },
      parent,
    );
    // One association per AZ, so adding an AZ adds a resource instead of editing a list.
    for (const [zone, routeTable] of privateRouteTables) {
      new aws.ec2.VpcEndpointRouteTableAssociation(
        logicalName(zone, "s3"),
        { vpcEndpointId: s3Endpoint.id, routeTableId: routeTable.id },
        parent,
      );
    }

    const idsOf = <T extends { id: pulumi.Output<string> }>(resources: Map<string, T>) =>
      Object.fromEntries([...resources].map(([zone, resource]) => [zone, resource.id]));

    this.vpcId = vpc.id;
    this.vpcArn = vpc.arn;
    this.vpcCidr = vpc.cidrBlock;
    this.availabilityZones = zones.map((zone) => zone.name);
    this.publicSubnetIds = idsOf(publicSubnets);
    this.privateSubnetIds = idsOf(privateSubnets);
    this.publicSubnetIdList = pulumi.all([...publicSubnets.values()].map((s) => s.id));
    this.privateSubnetIdList = pulumi.all([...privateSubnets.values()].map((s) => s.id));
    this.publicRouteTableId = publicRouteTable.id;
    this.privateRouteTableIds = idsOf(privateRouteTables);
    this.natGatewayIds = natGatewayIds;
    this.natPublicIps = natPublicIps;
    this.s3EndpointId = s3Endpoint.id;
    this.registerOutputs({
      vpcId: this.vpcId,
      vpcCidr: this.vpcCidr,
      publicSubnetIds: this.publicSubnetIds,
      privateSubnetIds: this.privateSubnetIds,
      publicRouteTableId: this.publicRouteTableId,
      privateRouteTableIds: this.privateRouteTableIds,
      natGatewayIds: this.natGatewayIds,
      natPublicIps: this.natPublicIps,
    });
  }
}
