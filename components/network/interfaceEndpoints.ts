/**
 * VPC interface endpoints for a cluster without NAT gateways: the AWS APIs its
 * nodes and in-cluster components call, reachable from the private subnets
 * with private DNS, so the usual regional hostnames resolve to the endpoints.
 * Image layers come through the S3 gateway endpoint the Network declares.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../lib/config/clusterConfig";
import { displayName, logicalName } from "../../lib/naming";

/**
 * The services, by the last part of `com.amazonaws.<region>.<service>`, and who needs them:
 * ECR (image pulls from an ECR mirror), STS (web-identity credentials), SSM with
 * ssmmessages and ec2messages (the init marker, Session Manager), EC2 (Calico's
 * source/destination check, the cloud controller), Secrets Manager and KMS (secrets
 * fetched at boot), Auto Scaling (health reports, cluster-autoscaler), Elastic Load
 * Balancing (the cloud controller's load balancers).
 */
export const interfaceEndpointServices = [
  "ecr.api",
  "ecr.dkr",
  "sts",
  "ssm",
  "ssmmessages",
  "ec2messages",
  "ec2",
  "secretsmanager",
  "kms",
  "autoscaling",
  "elasticloadbalancing",
] as const;

/** HTTPS: every AWS API endpoint. */
const httpsPort = 443;

export interface InterfaceEndpointsArgs {
  /** Validated stack config: cluster name and region. Required. */
  readonly config: Pick<ClusterConfig, "clusterName" | "region">;
  readonly vpcId: pulumi.Input<string>;
  /** The VPC's range; only it may reach the endpoints. Required. */
  readonly vpcCidr: pulumi.Input<string>;
  /** The private subnets, one per AZ (`Network.privateSubnetIdList`). Required. */
  readonly subnetIds: pulumi.Input<pulumi.Input<string>[]>;
}

export class InterfaceEndpoints extends pulumi.ComponentResource {
  /** Endpoint id by service (`ecr.api`, ...). */
  readonly endpointIds: Record<string, pulumi.Output<string>>;
  readonly securityGroupId: pulumi.Output<string>;

  constructor(name: string, args: InterfaceEndpointsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:network:InterfaceEndpoints", name, {}, opts);
    const { clusterName, region } = args.config;
    // Not tagged kubernetes.io/cluster/<name>: the cloud controller wants exactly one
    // tagged group per instance, and endpoints are no instances.
    const group = new aws.ec2.SecurityGroup(
      "endpoints",
      {
        vpcId: args.vpcId,
        description: `AWS API endpoints of ${clusterName}: HTTPS from the VPC`,
        ingress: [
          {
            description: "HTTPS from the VPC",
            protocol: "tcp",
            fromPort: httpsPort,
            toPort: httpsPort,
            cidrBlocks: [args.vpcCidr],
          },
        ],
        tags: { Name: displayName(clusterName, "endpoints") },
      },
      { parent: this },
    );
    this.securityGroupId = group.id;
    this.endpointIds = {};
    for (const service of interfaceEndpointServices) {
      const endpoint = new aws.ec2.VpcEndpoint(
        logicalName("endpoint", service.replace(/\./g, "-")),
        {
          vpcId: args.vpcId,
          serviceName: `com.amazonaws.${region}.${service}`,
          vpcEndpointType: "Interface",
          privateDnsEnabled: true,
          subnetIds: args.subnetIds,
          securityGroupIds: [group.id],
          tags: { Name: displayName(clusterName, service) },
        },
        { parent: this },
      );
      this.endpointIds[service] = endpoint.id;
    }
    this.registerOutputs({ endpointIds: this.endpointIds, securityGroupId: this.securityGroupId });
  }
}
