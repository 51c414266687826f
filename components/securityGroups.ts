/**
 * Security groups for the masters, the worker nodes and the API load balancer.
 *
 * The rules are data first (`securityGroupRules`, pure and tested on its own),
 * then one standalone rule resource each, so groups can name each other without
 * a cycle and one rule changes without touching the rest. Nothing accepts
 * 0.0.0.0/0 unless a public API endpoint lists it in `allowedCidrs`.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { apiEndpointProblems, type ClusterConfig } from "../lib/config/clusterConfig";
import { refuseArgs } from "./refusal";
import { clusterOwnershipTag, displayName, logicalName } from "../lib/naming";

import { bgpPort, ipipProtocolNumber, typhaPort } from "../policy/rules/wellKnown";
import { apiServerPort, etcdPorts, kubeletPort } from "../lib/ports";

export type GroupRole = "master" | "node" | "api-lb";

/** Where a rule's traffic comes from (ingress) or goes to (egress). */
export type RulePeer =
  | { readonly kind: "group"; readonly group: GroupRole }
  | { readonly kind: "cidr"; readonly cidr: string }
  /** The public address of the NAT gateway in an AZ (known only after it exists). */
  | { readonly kind: "nat"; readonly zone: string };

export interface RuleSpec {
  /** Stable logical name: roles and purpose, never a list position. */
  readonly key: string;
  readonly group: GroupRole;
  readonly direction: "ingress" | "egress";
  /** `tcp`, `udp`, `icmp`, an IP protocol number, or `-1` for all. */
  readonly protocol: string;
  /** Omitted for protocols without ports. */
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly peer: RulePeer;
  readonly description: string;
}

export type RuleConfig = Pick<ClusterConfig, "podCidr" | "apiEndpoint" | "natGateways">;

/** Whether BGP runs between the nodes (`AddressPlan.routing.bgp`). */
export type RuleRouting = { readonly bgp: boolean };

const cidrKey = (cidr: string) => cidr.replace(/[./]/g, "-");

/**
 * Every rule of the three groups.
 * @param natZones AZs that host a NAT gateway (public endpoint: nodes arrive from there)
 * @param routing whether BGP runs: TCP 179 is opened only where it does; default it does
 */
export function securityGroupRules(
  config: RuleConfig,
  natZones: readonly string[],
  routing: RuleRouting = { bgp: true },
): RuleSpec[] {
  const rules: RuleSpec[] = [];
  const add = (rule: RuleSpec) => rules.push(rule);
  const clusterNodes: GroupRole[] = ["master", "node"];
  const between = [
    { name: "ipip", protocol: ipipProtocolNumber, why: "Calico IPIP: pod traffic between subnets" },
    ...(routing.bgp
      ? [{ name: "bgp", protocol: "tcp", port: bgpPort, why: "Calico BGP peering (BIRD)" }]
      : []),
    { name: "typha", protocol: "tcp", port: typhaPort, why: "Calico Felix to Typha" },
    { name: "kubelet", protocol: "tcp", port: kubeletPort, why: "kubelet API" },
  ];
  for (const group of clusterNodes) {
    for (const source of clusterNodes) {
      for (const rule of between) {
        add({
          key: logicalName(group, "from", source, rule.name),
          group,
          direction: "ingress",
          protocol: rule.protocol,
          ...(rule.port === undefined ? {} : { fromPort: rule.port, toPort: rule.port }),
          peer: { kind: "group", group: source },
          description: `${rule.why}, ${source}s to ${group}s`,
        });
      }
    }
  }

  const pods = { kind: "cidr", cidr: config.podCidr } as const;
  const sameSubnet = "pods in the same subnet are not encapsulated and keep their pod address";
  add({
    key: logicalName("node", "from", "pods"),
    group: "node",
    direction: "ingress",
    protocol: "-1",
    peer: pods,
    description: `Pod traffic: ${sameSubnet}`,
  });
  // Security groups cannot deny, so the masters take pod traffic as ranges around etcd's ports.
  for (const [name, protocol, fromPort, toPort] of [
    ["tcp-below-etcd", "tcp", 0, 2378],
    ["tcp-above-etcd", "tcp", 2381, 65535],
    ["udp", "udp", 0, 65535],
    ["icmp", "icmp", -1, -1],
  ] as const) {
    add({
      key: logicalName("master", "from", "pods", name),
      group: "master",
      direction: "ingress",
      protocol,
      fromPort,
      toPort,
      peer: pods,
      description: `Pod traffic except etcd: ${sameSubnet}`,
    });
  }
  add({
    key: logicalName("node", "from", "master", "tcp"),
    group: "node",
    direction: "ingress",
    protocol: "tcp",
    fromPort: 0,
    toPort: 65535,
    peer: { kind: "group", group: "master" },
    description:
      "API server to webhooks and aggregated APIs on pods in its subnet: not encapsulated, so from the master address",
  });

  for (const source of ["master", "node", "api-lb"] as const) {
    add({
      key: logicalName("master", "from", source, "api"),
      group: "master",
      direction: "ingress",
      protocol: "tcp",
      fromPort: apiServerPort,
      toPort: apiServerPort,
      peer: { kind: "group", group: source },
      description:
        source === "api-lb"
          ? "Kubernetes API through the load balancer (client IP not preserved, so from its addresses) and its health checks"
          : `Kubernetes API from ${source}s`,
    });
  }
  add({
    key: logicalName("master", "from", "master", "etcd"),
    group: "master",
    direction: "ingress",
    protocol: "tcp",
    fromPort: etcdPorts.from,
    toPort: etcdPorts.to,
    peer: { kind: "group", group: "master" },
    description: "etcd clients and peers, masters only",
  });
  for (const group of clusterNodes) {
    add({
      key: logicalName(group, "to", "anywhere"),
      group,
      direction: "egress",
      protocol: "-1",
      peer: { kind: "cidr", cidr: "0.0.0.0/0" },
      description: "All outbound traffic (NAT, AWS APIs, image registries, other nodes)",
    });
  }

  const api = {
    group: "api-lb" as const,
    protocol: "tcp",
    fromPort: apiServerPort,
    toPort: apiServerPort,
  };
  add({
    ...api,
    key: logicalName("api-lb", "to", "master", "api"),
    direction: "egress",
    peer: { kind: "group", group: "master" },
    description: "Forward to the API servers and health-check them",
  });
  for (const cidr of config.apiEndpoint.allowedCidrs) {
    add({
      ...api,
      key: logicalName("api-lb", "from", cidrKey(cidr)),
      direction: "ingress",
      peer: { kind: "cidr", cidr },
      description: `Kubernetes API from allowed range ${cidr} (calico-cluster:apiEndpoint.allowedCidrs)`,
    });
  }
  if (config.apiEndpoint.access === "private") {
    for (const source of clusterNodes) {
      add({
        ...api,
        key: logicalName("api-lb", "from", source),
        direction: "ingress",
        peer: { kind: "group", group: source },
        description: `Kubernetes API from ${source}s (controlPlaneEndpoint)`,
      });
    }
  } else {
    // An internet-facing NLB resolves to public addresses even inside the VPC, so
    // nodes arrive from their NAT gateway's public address, not from their group.
    for (const zone of natZones) {
      add({
        ...api,
        key: logicalName("api-lb", "from", zone, "nat"),
        direction: "ingress",
        peer: { kind: "nat", zone },
        description: `Kubernetes API from nodes leaving through the ${zone} NAT gateway`,
      });
    }
  }
  return rules;
}

export interface SecurityGroupsArgs {
  /** Validated stack config: cluster name, pod CIDR, API endpoint and NAT mode. Required; no default. */
  readonly config: Pick<ClusterConfig, "clusterName"> & RuleConfig;
  /** The cluster VPC's id (`Network.vpcId`). Required; no default. */
  readonly vpcId: pulumi.Input<string>;
  /**
   * AZ → public IP of its NAT gateway (`Network.natPublicIps`); a public API
   * endpoint admits nodes from these. Default: none.
   */
  readonly natPublicIps?: Record<string, pulumi.Input<string>>;
  /**
   * The plan's routing (`AddressPlan.routing`): without BGP no rule opens TCP 179.
   * Default: `{ bgp: true }`.
   */
  readonly routing?: RuleRouting;
}

export class SecurityGroups extends pulumi.ComponentResource {
  readonly masterSecurityGroupId: pulumi.Output<string>;
  readonly nodeSecurityGroupId: pulumi.Output<string>;
  readonly apiLoadBalancerSecurityGroupId: pulumi.Output<string>;

  constructor(name: string, args: SecurityGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:network:SecurityGroups", name, {}, opts);
    refuseArgs(`SecurityGroups ${name}`, apiEndpointProblems(args.config));
    const { clusterName } = args.config;
    const natPublicIps = args.natPublicIps ?? {};

    const purposes: Record<GroupRole, string> = {
      master: "Kubernetes masters (control plane and etcd)",
      node: "Kubernetes worker nodes",
      "api-lb": "Kubernetes API network load balancer",
    };
    const groups = {} as Record<GroupRole, aws.ec2.SecurityGroup>;
    for (const role of Object.keys(purposes) as GroupRole[]) {
      groups[role] = new aws.ec2.SecurityGroup(
        role,
        {
          vpcId: args.vpcId,
          // A prefix, not a name: a replacement can be created before the old group goes.
          namePrefix: `${displayName(clusterName, role)}-`,
          description: purposes[role],
          tags: {
            Name: displayName(clusterName, role),
            // The cloud provider and LB controller look for exactly one owned group per instance.
            ...(role === "api-lb" ? {} : clusterOwnershipTag(clusterName)),
          },
        },
        { parent: this },
      );
    }

    for (const rule of securityGroupRules(args.config, Object.keys(natPublicIps), args.routing)) {
      const peer =
        rule.peer.kind === "group"
          ? { referencedSecurityGroupId: groups[rule.peer.group].id }
          : rule.peer.kind === "cidr"
            ? { cidrIpv4: rule.peer.cidr }
            : { cidrIpv4: pulumi.interpolate`${natPublicIps[rule.peer.zone]}/32` };
      const ruleArgs = {
        securityGroupId: groups[rule.group].id,
        ipProtocol: rule.protocol,
        fromPort: rule.fromPort,
        toPort: rule.toPort,
        description: rule.description,
        ...peer,
      };
      if (rule.direction === "ingress") {
        new aws.vpc.SecurityGroupIngressRule(rule.key, ruleArgs, { parent: this });
      } else {
        new aws.vpc.SecurityGroupEgressRule(rule.key, ruleArgs, { parent: this });
      }
    }

    this.masterSecurityGroupId = groups.master.id;
    this.nodeSecurityGroupId = groups.node.id;
    this.apiLoadBalancerSecurityGroupId = groups["api-lb"].id;
    this.registerOutputs({
      masterSecurityGroupId: this.masterSecurityGroupId,
      nodeSecurityGroupId: this.nodeSecurityGroupId,
      apiLoadBalancerSecurityGroupId: this.apiLoadBalancerSecurityGroupId,
    });
  }
}
