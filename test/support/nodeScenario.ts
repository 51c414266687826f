/**
 * Declares a stack's PKI, masters and worker groups under the mock engine,
 * wired to stand-in network, security group, IAM and load balancer resources
 * (so their ids are unknown in a preview, as for real), and records the options
 * the wire does not carry (additionalSecretOutputs) through an inherited transformation.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ClusterPki } from "../../components/clusterPki";
import { ClusterSecrets } from "../../components/clusterSecrets";
import { ControlPlane } from "../../components/controlPlane";
import { NodeGroup } from "../../components/nodeGroup";
import type { AddressPlan } from "../../lib/plan/addressPlan";
import type { ClusterConfig } from "../../lib/config/clusterConfig";
import { installMockEngine, type RecordedResource } from "../../lib/harness/mockEngine";
import { clusterMockState } from "./clusterMocks";
import { loadExample } from "./stacks";

export interface NodeScenario {
  readonly config: ClusterConfig;
  readonly plan: AddressPlan;
  readonly pki: ClusterPki;
  readonly secrets: ClusterSecrets;
  readonly controlPlane: ControlPlane;
  readonly nodeGroups: Readonly<Record<string, NodeGroup>>;
  readonly resources: readonly RecordedResource[];
  /** Options each resource was declared with, by `type::name`. */
  readonly options: ReadonlyMap<string, pulumi.CustomResourceOptions>;
  /** The stand-in API load balancer's DNS name in update mode. */
  readonly apiEndpointHost: string;
}

export const mockApiHost = (stack: string) =>
  `${stack}-api-0123456789abcdef.elb.eu-west-1.amazonaws.com`;

export async function declareNodes(stack: string, preview: boolean): Promise<NodeScenario> {
  const engine = installMockEngine({
    project: "calico-cluster",
    stack,
    preview,
    state: (args, isPreview) =>
      !isPreview && args.type === "aws:lb/loadBalancer:LoadBalancer"
        ? { id: `${args.name}-id`, state: { ...args.inputs, dnsName: mockApiHost(stack) } }
        : clusterMockState(args, isPreview),
  });
  const { config, plan } = loadExample(stack);

  const subnets: Record<string, pulumi.Output<string>> = {};
  for (const zone of plan.availabilityZones) {
    subnets[zone.name] = new aws.ec2.Subnet(`subnet-${zone.name}`, {
      vpcId: "vpc-mock",
      cidrBlock: zone.privateSubnet.cidr,
      availabilityZone: zone.name,
    }).id;
  }
  const group = (name: string) => new aws.ec2.SecurityGroup(name, { vpcId: "vpc-mock" }).id;
  const profile = (name: string) => new aws.iam.InstanceProfile(name, { role: name }).name;
  const loadBalancer = new aws.lb.LoadBalancer("api", { loadBalancerType: "network" });
  const targetGroup = new aws.lb.TargetGroup("api", { port: 6443, protocol: "TCP" });

  const options = new Map<string, pulumi.CustomResourceOptions>();
  const record: pulumi.ResourceTransformation = (args) => {
    options.set(`${args.type}::${args.name}`, args.opts);
    return undefined;
  };

  const pki = new ClusterPki("pki", { config, apiEndpointHost: loadBalancer.dnsName });
  const role = (name: string) => {
    const stand = new aws.iam.Role(name, { namePrefix: `${name}-`, assumeRolePolicy: "{}" });
    return { roleName: stand.name, roleArn: stand.arn };
  };
  const secrets = new ClusterSecrets("secrets", {
    config,
    controlPlaneSecrets: pki.controlPlaneSecrets,
    bootstrapToken: pki.bootstrapToken,
    master: role("master"),
    worker: role("worker"),
  });
  const controlPlane = new ControlPlane(
    "control-plane",
    {
      config,
      plan,
      pki,
      secretStore: secrets.masterStore,
      apiEndpointHost: loadBalancer.dnsName,
      privateSubnetIds: subnets,
      securityGroupIds: [group("master")],
      instanceProfileName: profile("master"),
      apiTargetGroupArn: targetGroup.arn,
    },
    { transformations: [record] },
  );
  const nodeSecurityGroup = group("node");
  const workerProfile = profile("worker");
  const nodeGroups: Record<string, NodeGroup> = {};
  for (const worker of config.workerGroups) {
    nodeGroups[worker.name] = new NodeGroup(
      worker.name,
      {
        config,
        plan,
        groupName: worker.name,
        pki,
        secretStore: secrets.workerStore,
        apiEndpointHost: loadBalancer.dnsName,
        privateSubnetIds: subnets,
        securityGroupIds: [nodeSecurityGroup],
        instanceProfileName: workerProfile,
      },
      { transformations: [record] },
    );
  }
  const resources = await engine.settle();
  return {
    config,
    plan,
    pki,
    secrets,
    controlPlane,
    nodeGroups,
    resources,
    options,
    apiEndpointHost: mockApiHost(stack),
  };
}

/** The one recorded resource of a type and name. */
export function recorded(
  resources: readonly RecordedResource[],
  type: string,
  name: string,
): RecordedResource {
  const matches = resources.filter((r) => r.type === type && r.name === name);
  if (matches.length !== 1) throw new Error(`${matches.length} resources ${type} ${name}`);
  return matches[0];
}

/** The logical name part of a URN. */
export const urnName = (urn: string) => urn.split("::").pop() ?? urn;

export const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate";
export const autoScalingGroupType = "aws:autoscaling/group:Group";

interface LaunchTemplateExpectation {
  readonly config: ClusterConfig;
  readonly groupKey: string;
  readonly instanceType: string;
  readonly rootVolumeSizeGiB: number;
  /** Logical names of the stand-in security group and instance profile it must use. */
  readonly securityGroup: string;
  readonly instanceProfile: string;
  readonly preview: boolean;
}

/**
 * What every node launch template must be: IMDSv2 only, an encrypted gp3 root
 * volume of the configured size, no public address, the configured image passed
 * through, the right security group and profile, and tagged instances and volumes.
 */
export function launchTemplateProblems(
  template: RecordedResource,
  expected: LaunchTemplateExpectation,
): string[] {
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(`${template.name}: ${what}`);
  };
  const inputs = template.inputs as Record<string, never>;
  const metadata = inputs.metadataOptions as Record<string, unknown>;
  check(metadata?.httpTokens === "required", "IMDSv2 is not required");
  check(metadata?.httpEndpoint === "enabled", "IMDS is not enabled");
  // 1: pods cannot reach the node role, which can read the join token.
  check(metadata?.httpPutResponseHopLimit === 1, "IMDS hop limit is not 1");
  const devices = inputs.blockDeviceMappings as {
    deviceName: string;
    ebs: Record<string, unknown>;
  }[];
  check(devices?.length === 1, "not exactly one block device");
  const root = devices?.[0];
  check(
    root?.deviceName === (expected.config.nodeRootDeviceName ?? "/dev/sda1"),
    "root device name",
  );
  check(root?.ebs.encrypted === "true", "root volume is not encrypted");
  check(root?.ebs.volumeType === "gp3", "root volume is not gp3");
  check(
    root?.ebs.volumeSize === expected.rootVolumeSizeGiB,
    "root volume size differs from config",
  );
  const interfaces = inputs.networkInterfaces as Record<string, unknown>[];
  check(interfaces?.length === 1, "not exactly one network interface");
  check(interfaces?.[0].associatePublicIpAddress === "false", "may get a public IP");
  check(inputs.vpcSecurityGroupIds === undefined, "sets vpcSecurityGroupIds next to interfaces");
  check(inputs.imageId === expected.config.nodeImage, "image is not config.nodeImage");
  check(inputs.instanceType === expected.instanceType, "instance type differs from config");
  const dependsOn = (property: string, name: string) =>
    (template.propertyDependencies[property] ?? []).some((urn) => urnName(urn) === name);
  check(dependsOn("networkInterfaces", expected.securityGroup), "not using its security group");
  check(
    dependsOn("iamInstanceProfile", expected.instanceProfile),
    "not using its instance profile",
  );
  if (!expected.preview) {
    check(
      JSON.stringify((interfaces?.[0] as { securityGroups: string[] }).securityGroups) ===
        JSON.stringify([`${expected.securityGroup}-id`]),
      "security groups differ",
    );
  }
  const specs = inputs.tagSpecifications as {
    resourceType: string;
    tags: Record<string, string>;
  }[];
  for (const resourceType of ["instance", "volume"]) {
    const tags = specs?.find((spec) => spec.resourceType === resourceType)?.tags;
    check(tags !== undefined, `no tag specification for ${resourceType}`);
    check(
      tags?.Name === `${expected.config.clusterName}-${expected.groupKey}`,
      `${resourceType} Name tag`,
    );
    check(
      tags?.[`kubernetes.io/cluster/${expected.config.clusterName}`] === "owned",
      `${resourceType} lacks the cluster ownership tag`,
    );
    check(tags?.team === expected.config.team, `${resourceType} lacks the team tag`);
  }
  return problems;
}

/** The recorded ASG tags as a map. */
export function groupTags(group: RecordedResource): Record<string, string> {
  const tags = (group.inputs.tags ?? []) as { key: string; value: string }[];
  return Object.fromEntries(tags.map((tag) => [tag.key, tag.value]));
}
