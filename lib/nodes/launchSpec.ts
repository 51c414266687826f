/**
 * What every master and worker instance is launched with, as plain data the
 * components hand to `aws.ec2.LaunchTemplate` and `aws.autoscaling.Group`.
 * Generic over the id type so values that exist only at deploy time (security
 * group ids, the instance profile, the user data) pass through untouched.
 * Pure: no Pulumi imports.
 */
import type { ClusterConfig } from "../config/clusterConfig";
import { maxPodsTagKey } from "../../policy/rules/wellKnown";
import { clusterOwnershipTag, commonTags, displayName } from "../naming";

/**
 * IMDSv2 response hop limit. With 1, only processes in the host's network
 * namespace (kubelet, containerd, hostNetwork pods such as calico-node) get a
 * token back; a pod on the Calico network sits one routed hop further and gets
 * none, so it cannot take the node role's credentials, which can read the
 * join token (masters: the PKI too). Anything the cluster installs that needs
 * the instance role from a pod must run with host networking. Masters get 1
 * as well: their role is the more valuable one.
 */
export const imdsHopLimit = 1;

/** Ubuntu's root device; Debian images use /dev/xvda (`calico-cluster:nodeRootDeviceName`). */
export const defaultRootDeviceName = "/dev/sda1";

export interface NodeLaunchSpecOptions<Id> {
  readonly config: Pick<
    ClusterConfig,
    "clusterName" | "team" | "environment" | "nodeImage" | "nodeRootDeviceName"
  >;
  /** Stable key of the group (`master-<az>` or the worker group's name); names the instances. */
  readonly groupKey: string;
  readonly instanceType: string;
  readonly rootVolumeSizeGiB: number;
  readonly securityGroupIds: readonly Id[];
  readonly instanceProfileName: Id;
  /** base64 of the cloud-config; a secret in the program. */
  readonly userDataBase64: Id;
}

/**
 * Tags for the instances and volumes an Auto Scaling group launches: the
 * provider's default tags stop at the group, so they are repeated here.
 */
export function nodeInstanceTags(
  config: Pick<ClusterConfig, "clusterName" | "team" | "environment">,
  groupKey: string,
): Record<string, string> {
  return {
    ...commonTags(config),
    ...clusterOwnershipTag(config.clusterName),
    Name: displayName(config.clusterName, groupKey),
  };
}

/** Launch template arguments; `imageId` may be `resolve:ssm:/...`, which EC2 resolves at launch. */
export function nodeLaunchTemplateSpec<Id>(options: NodeLaunchSpecOptions<Id>) {
  const tags = nodeInstanceTags(options.config, options.groupKey);
  return {
    description: `${displayName(options.config.clusterName, options.groupKey)} kubeadm node`,
    imageId: options.config.nodeImage,
    instanceType: options.instanceType,
    userData: options.userDataBase64,
    iamInstanceProfile: { name: options.instanceProfileName },
    updateDefaultVersion: true,
    metadataOptions: {
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: imdsHopLimit,
      instanceMetadataTags: "disabled",
    },
    blockDeviceMappings: [
      {
        deviceName: options.config.nodeRootDeviceName ?? defaultRootDeviceName,
        ebs: {
          volumeSize: options.rootVolumeSizeGiB,
          volumeType: "gp3",
          encrypted: "true",
          deleteOnTermination: "true",
        },
      },
    ],
    // Private subnets only; the security groups go on the interface because a
    // launch template with networkInterfaces may not also set vpcSecurityGroupIds.
    networkInterfaces: [
      {
        deviceIndex: 0,
        associatePublicIpAddress: "false",
        deleteOnTermination: "true",
        securityGroups: [...options.securityGroupIds],
      },
    ],
    tagSpecifications: ["instance", "volume", "network-interface"].map((resourceType) => ({
      resourceType,
      tags,
    })),
    tags: { Name: displayName(options.config.clusterName, options.groupKey) },
  };
}

export interface GroupTag {
  readonly key: string;
  readonly value: string;
  readonly propagateAtLaunch: boolean;
}

/**
 * Tags of an Auto Scaling group. Workers are discoverable by cluster-autoscaler
 * (`enabled` + the cluster's key); masters are not, so it never scales them.
 * Both carry the max-pods node template tag.
 */
export function autoScalingGroupTags(
  config: Pick<ClusterConfig, "clusterName">,
  options: { readonly groupKey: string; readonly maxPods: number; readonly autoscaled: boolean },
): GroupTag[] {
  const tags: Record<string, string> = {
    Name: displayName(config.clusterName, options.groupKey),
    ...clusterOwnershipTag(config.clusterName),
    [maxPodsTagKey]: String(options.maxPods),
    ...(options.autoscaled
      ? {
          "k8s.io/cluster-autoscaler/enabled": "true",
          [`k8s.io/cluster-autoscaler/${config.clusterName}`]: "owned",
        }
      : {}),
  };
  // The launch template tags the instances; group tags stay on the group.
  return Object.entries(tags).map(([key, value]) => ({ key, value, propagateAtLaunch: false }));
}
