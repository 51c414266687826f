/**
 * One worker group: a launch template and an Auto Scaling group across the
 * group's AZs' private subnets, sized from config, discoverable by
 * cluster-autoscaler, and rolled when its launch template changes.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AddressPlan } from "../lib/plan/addressPlan";
import { encodeUserData, renderWorkerUserData } from "../lib/nodes/cloudInit";
import { type ClusterConfig, projectName } from "../lib/config/clusterConfig";
import { kubernetesVersionKey, kubernetesVersionProblem } from "../lib/config/kubernetesVersion";
import { configProblem } from "../lib/config/problems";
import { kubeadmClusterSettings } from "../lib/nodes/kubeadmConfig";
import { refuse, refuseArgs } from "./refusal";
import { displayName, logicalName } from "../lib/naming";
import { autoScalingGroupTags, nodeLaunchTemplateSpec } from "../lib/nodes/launchSpec";
import type { ClusterPkiSecrets } from "./clusterPki";
import type { WorkerStoreNames } from "./clusterSecrets";

/** Share of a group kept in service while an instance refresh replaces the rest. */
export const refreshMinHealthyPercentage = 90;

export interface NodeGroupArgs {
  /** Validated stack config: names, version, image, `serviceCidr` and `workerGroups`. Required. */
  readonly config: Pick<
    ClusterConfig,
    | "clusterName"
    | "team"
    | "environment"
    | "kubernetesVersion"
    | "serviceCidr"
    | "nodeImage"
    | "nodeRootDeviceName"
    | "workerGroups"
  >;
  /** The address plan: the group's sizes and AZs, and the pod pool. Required. */
  readonly plan: Pick<AddressPlan, "nodeGroups" | "podPool">;
  /** Which of `config.workerGroups` this is, by name. Required. */
  readonly groupName: string;
  /** The CA certificate and hash (`ClusterPki.joinSecrets`); the token itself is read at boot. Required. */
  readonly pki: Pick<ClusterPkiSecrets, "joinSecrets">;
  /** Where workers read the join token (`ClusterSecrets.workerStore`). Required. */
  readonly secretStore: pulumi.Input<WorkerStoreNames>;
  /** The API load balancer's DNS name (`ApiLoadBalancer.endpointHost`). Required. */
  readonly apiEndpointHost: pulumi.Input<string>;
  /** Private subnet id per AZ name (`Network.privateSubnetIds`); each of the group's AZs needs one. Required. */
  readonly privateSubnetIds: Readonly<Record<string, pulumi.Input<string>>>;
  /** Security groups of the workers' network interface (`SecurityGroups.nodeSecurityGroupId`). Required. */
  readonly securityGroupIds: readonly pulumi.Input<string>[];
  /** Instance profile of the workers (`NodeIam.instanceProfileName` of the worker role). Required. */
  readonly instanceProfileName: pulumi.Input<string>;
}

export class NodeGroup extends pulumi.ComponentResource {
  readonly autoScalingGroupName: pulumi.Output<string>;
  readonly launchTemplateId: pulumi.Output<string>;

  constructor(name: string, args: NodeGroupArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:nodes:NodeGroup", name, {}, opts);
    const { config } = args;
    // Checked here, not only when the user data renders, so a preview fails with it too.
    const versionProblem = kubernetesVersionProblem(config.kubernetesVersion);
    if (versionProblem) {
      refuse(`NodeGroup ${name}`, [
        configProblem(kubernetesVersionKey, `= ${config.kubernetesVersion} ${versionProblem}`),
      ]);
    }
    const index = config.workerGroups.findIndex((group) => group.name === args.groupName);
    const group = config.workerGroups[index];
    const groupPlan = args.plan.nodeGroups.find(
      (candidate) => candidate.role === "worker" && candidate.name === args.groupName,
    );
    if (!group || !groupPlan) {
      const known = config.workerGroups.map((g) => g.name).join(", ");
      refuse(`NodeGroup ${name}`, [
        configProblem(
          `${projectName}:workerGroups`,
          `has no group named ${JSON.stringify(args.groupName)} (known: ${known})`,
        ),
      ]);
    }
    const missing = groupPlan.availabilityZones.filter(
      (zone) => args.privateSubnetIds[zone] === undefined,
    );
    refuseArgs(
      `NodeGroup ${name}`,
      missing.map((zone) =>
        configProblem(
          `${projectName}:workerGroups[${index}].availabilityZones`,
          `of "${group.name}" include ${zone}, which has no private subnet id in privateSubnetIds`,
        ),
      ),
    );

    const groupKey = logicalName(group.name);
    const userData = pulumi.secret(
      pulumi
        .all([args.apiEndpointHost, args.pki.joinSecrets, args.secretStore])
        .apply(([host, join, store]) =>
          encodeUserData(
            renderWorkerUserData({
              settings: kubeadmClusterSettings(config, args.plan, host),
              maxPods: groupPlan.maxPods,
              join: { caCertHash: join.caCertHash, clusterCaCertPem: join.clusterCaCertPem },
              store,
            }),
          ).toString("base64"),
        ),
    );
    const launchTemplate = new aws.ec2.LaunchTemplate(
      groupKey,
      nodeLaunchTemplateSpec({
        config,
        groupKey,
        instanceType: group.instanceType,
        rootVolumeSizeGiB: group.rootVolumeSizeGiB,
        securityGroupIds: args.securityGroupIds,
        instanceProfileName: args.instanceProfileName,
        userDataBase64: userData,
      }),
      { parent: this, additionalSecretOutputs: ["userData"] },
    );
    const autoScalingGroup = new aws.autoscaling.Group(
      groupKey,
      {
        namePrefix: `${displayName(config.clusterName, groupKey)}-`,
        minSize: groupPlan.minSize,
        maxSize: groupPlan.maxSize,
        desiredCapacity: groupPlan.minSize,
        vpcZoneIdentifiers: groupPlan.availabilityZones.map((zone) => args.privateSubnetIds[zone]),
        // The exact version rather than $Latest: the version change is what
        // starts the instance refresh below.
        launchTemplate: {
          id: launchTemplate.id,
          version: launchTemplate.latestVersion.apply(String),
        },
        instanceRefresh: {
          strategy: "Rolling",
          preferences: { minHealthyPercentage: refreshMinHealthyPercentage, instanceWarmup: "300" },
        },
        healthCheckType: "EC2",
        healthCheckGracePeriod: 300,
        tags: autoScalingGroupTags(config, {
          groupKey,
          maxPods: groupPlan.maxPods,
          autoscaled: true,
        }),
      },
      // cluster-autoscaler owns the desired capacity once the group exists.
      { parent: this, ignoreChanges: ["desiredCapacity"] },
    );

    this.autoScalingGroupName = autoScalingGroup.name;
    this.launchTemplateId = launchTemplate.id;
    this.registerOutputs({
      autoScalingGroupName: this.autoScalingGroupName,
      launchTemplateId: this.launchTemplateId,
    });
  }
}
