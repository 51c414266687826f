/**
 * The Kubernetes API endpoint: a network load balancer on TCP 6443 in front of
 * the masters, internet-facing in the public subnets for a public endpoint and
 * internal in the private subnets otherwise. Its DNS name is kubeadm's
 * `controlPlaneEndpoint`.
 *
 * Client IP preservation is off. With it on, a master that reaches the API
 * through the NLB and is picked as the target receives a packet carrying its
 * own source address; it answers itself directly, the NLB never sees the reply,
 * and the connection hangs (the NLB "hairpin" problem). Off, every target sees
 * the NLB's private addresses, which the master group admits by the NLB's group.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { displayName } from "../lib/naming";
import { apiServerPort } from "../lib/ports";

/** Load balancer and target group names are at most 32 characters. */
export const maxLoadBalancerNameLength = 32;

/**
 * An AWS load balancer or target group name from the cluster name: letters,
 * digits and dashes, at most 32 characters, never starting with `internal-`
 * (reserved for internal load balancers' DNS names). Over-long names keep a
 * hash of the full name so two clusters never share one.
 */
export function loadBalancerName(clusterName: string, role: string): string {
  let name = displayName(clusterName, role);
  if (name.startsWith("internal-")) name = `k8s-${name}`;
  if (name.length <= maxLoadBalancerNameLength) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 6);
  const head = name.slice(0, maxLoadBalancerNameLength - hash.length - 1).replace(/-+$/, "");
  return `${head}-${hash}`;
}

export interface ApiLoadBalancerArgs {
  /** Validated stack config: cluster name and `apiEndpoint`. Required; no default. */
  readonly config: Pick<ClusterConfig, "clusterName" | "apiEndpoint">;
  /** The cluster VPC's id (`Network.vpcId`). Required; no default. */
  readonly vpcId: pulumi.Input<string>;
  /** Public subnet ids, one per AZ (`Network.publicSubnetIdList`); used when access is public. Required. */
  readonly publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Private subnet ids, one per AZ (`Network.privateSubnetIdList`); used when access is private. Required. */
  readonly privateSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** The load balancer's own group (`SecurityGroups.apiLoadBalancerSecurityGroupId`). Required. */
  readonly securityGroupId: pulumi.Input<string>;
}

export class ApiLoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancerArn: pulumi.Output<string>;
  readonly dnsName: pulumi.Output<string>;
  /** Route 53 hosted zone of the DNS name, for an alias record. */
  readonly zoneId: pulumi.Output<string>;
  /** Masters register here (Auto Scaling group `targetGroupArns` or attachments). */
  readonly targetGroupArn: pulumi.Output<string>;
  readonly securityGroupId: pulumi.Output<string>;
  /** Host for kubeadm's `controlPlaneEndpoint` and the API certificate's SANs. */
  readonly endpointHost: pulumi.Output<string>;
  readonly port: number;
  /** `host:port`, as kubeadm's `controlPlaneEndpoint` takes it. */
  readonly controlPlaneEndpoint: pulumi.Output<string>;
  /** `https://host:port`, for kubeconfigs. */
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: ApiLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:api:ApiLoadBalancer", name, {}, opts);
    const { clusterName, apiEndpoint } = args.config;
    const isPublic = apiEndpoint.access === "public";

    const loadBalancer = new aws.lb.LoadBalancer(
      "api",
      {
        // The scheme is in the name: switching access replaces the load balancer, and
        // a new name lets the new one exist before the old one goes.
        name: loadBalancerName(clusterName, isPublic ? "api-pub" : "api-int"),
        loadBalancerType: "network",
        internal: !isPublic,
        subnets: isPublic ? args.publicSubnetIds : args.privateSubnetIds,
        securityGroups: [args.securityGroupId],
        // One master per AZ: without cross-zone, a client resolving the address of
        // an AZ whose master is down would fail although two others are healthy.
        enableCrossZoneLoadBalancing: true,
        tags: { Name: displayName(clusterName, "api") },
      },
      { parent: this },
    );

    const targetGroup = new aws.lb.TargetGroup(
      "api",
      {
        name: loadBalancerName(clusterName, "api"),
        vpcId: args.vpcId,
        targetType: "instance",
        protocol: "TCP",
        port: apiServerPort,
        preserveClientIp: "false",
        // Masters leave the group when replaced; watches reconnect, so draining long helps no one.
        deregistrationDelay: 30,
        healthCheck: {
          // /readyz is open to anonymous clients in kubeadm's default RBAC and
          // fails while the API server cannot serve (etcd unreachable, still starting).
          protocol: "HTTPS",
          path: "/readyz",
          port: "traffic-port",
          matcher: "200",
          healthyThreshold: 2,
          unhealthyThreshold: 2,
          interval: 10,
        },
        tags: { Name: displayName(clusterName, "api") },
      },
      { parent: this },
    );

    new aws.lb.Listener(
      "api",
      {
        loadBalancerArn: loadBalancer.arn,
        protocol: "TCP",
        port: apiServerPort,
        defaultActions: [{ type: "forward", targetGroupArn: targetGroup.arn }],
        tags: { Name: displayName(clusterName, "api") },
      },
      { parent: this },
    );

    this.loadBalancerArn = loadBalancer.arn;
    this.dnsName = loadBalancer.dnsName;
    this.zoneId = loadBalancer.zoneId;
    this.targetGroupArn = targetGroup.arn;
    this.securityGroupId = pulumi.output(args.securityGroupId);
    this.endpointHost = loadBalancer.dnsName;
    this.port = apiServerPort;
    this.controlPlaneEndpoint = pulumi.interpolate`${loadBalancer.dnsName}:${apiServerPort}`;
    this.url = pulumi.interpolate`https://${loadBalancer.dnsName}:${apiServerPort}`;
    this.registerOutputs({
      dnsName: this.dnsName,
      targetGroupArn: this.targetGroupArn,
      securityGroupId: this.securityGroupId,
      controlPlaneEndpoint: this.controlPlaneEndpoint,
    });
  }
}
