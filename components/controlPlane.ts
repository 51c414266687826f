/**
 * The masters: one Auto Scaling group of exactly one instance per AZ, in that
 * AZ's private subnet, registered with the API load balancer's target group.
 * A group per AZ keeps each etcd member in its zone when an instance is
 * replaced. The master of the first AZ (by address slot) runs `kubeadm init`;
 * the others join the control plane with the shared CAs, which every master
 * reads from the cluster's secret store at boot (`ClusterSecrets`).
 *
 * Masters leave etcd cleanly: a termination lifecycle hook on each group holds a
 * terminating master until its handler has run `kubeadm reset` (bounded by the
 * hook's heartbeat, which continues the termination on timeout), and a joining
 * master first removes the members of masters that are gone. Both scripts come
 * from SSM parameters declared here (lib/nodes/masterScripts.ts).
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { AddressPlan } from "../lib/plan/addressPlan";
import { encodeUserData, renderMasterUserData } from "../lib/nodes/cloudInit";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { projectName } from "../lib/config/clusterConfig";
import { kubernetesVersionKey, kubernetesVersionProblem } from "../lib/config/kubernetesVersion";
import { configProblem } from "../lib/config/problems";
import { kubeadmClusterSettings } from "../lib/nodes/kubeadmConfig";
import { refuse, refuseArgs } from "./refusal";
import { displayName, logicalName } from "../lib/naming";
import { autoScalingGroupTags, nodeLaunchTemplateSpec } from "../lib/nodes/launchSpec";
import type { ClusterPkiSecrets } from "./clusterPki";
import {
  masterTerminationHeartbeatSeconds,
  masterTerminationHookName,
} from "../lib/nodes/lifecycleHook";
import { masterScripts, masterScriptsParameterPrefix } from "../lib/nodes/masterScripts";
import type { SecretStoreNames } from "../lib/nodes/secretStore";

/** Seconds between the joins of successive masters; etcd adds one member at a time. */
export const masterJoinStaggerSeconds = 90;

export interface ControlPlaneArgs {
  /** Validated stack config: names, version, image, `masters` and `serviceCidr`. Required. */
  readonly config: Pick<
    ClusterConfig,
    | "clusterName"
    | "team"
    | "environment"
    | "kubernetesVersion"
    | "serviceCidr"
    | "nodeImage"
    | "nodeRootDeviceName"
    | "registryMirror"
    | "masters"
    | "region"
  >;
  /** The address plan: AZs in slot order and the pod pool. Required. */
  readonly plan: Pick<AddressPlan, "availabilityZones" | "podPool">;
  /** The CA hash joins pin (`ClusterPki.joinSecrets`); nothing secret reaches the user data. Required. */
  readonly pki: Pick<ClusterPkiSecrets, "joinSecrets">;
  /** Where masters read the PKI and token (`ClusterSecrets.masterStore`). Required. */
  readonly secretStore: pulumi.Input<SecretStoreNames>;
  /** The API load balancer's DNS name (`ApiLoadBalancer.endpointHost`). Required. */
  readonly apiEndpointHost: pulumi.Input<string>;
  /** Private subnet id per AZ name (`Network.privateSubnetIds`); every plan AZ needs one. Required. */
  readonly privateSubnetIds: Readonly<Record<string, pulumi.Input<string>>>;
  /** Security groups of the masters' network interface (`SecurityGroups.masterSecurityGroupId`, plus the node group if masters run pods). Required. */
  readonly securityGroupIds: readonly pulumi.Input<string>[];
  /**
   * Per AZ name, what a node there needs before it boots: its NAT default route,
   * or the VPC interface endpoints without NAT. @default none
   */
  readonly egressDependencies?: Readonly<Record<string, readonly pulumi.Resource[]>>;
  /** Instance profile of the masters (`NodeIam.instanceProfileName` of the master role). Required. */
  readonly instanceProfileName: pulumi.Input<string>;
  /** The API load balancer's target group on 6443 (`ApiLoadBalancer.targetGroupArn`). Required. */
  readonly apiTargetGroupArn: pulumi.Input<string>;
  /** The cluster's init marker parameter (`ClusterInitMarker.parameterName`). Required. */
  readonly initMarkerParameter: string;
}

export class ControlPlane extends pulumi.ComponentResource {
  /** Auto Scaling group name per AZ. */
  readonly autoScalingGroupNames: Record<string, pulumi.Output<string>>;
  /** Launch template id per AZ. */
  readonly launchTemplateIds: Record<string, pulumi.Output<string>>;
  /** The AZ whose master runs `kubeadm init`. */
  readonly initAvailabilityZone: string;

  constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:nodes:ControlPlane", name, {}, opts);
    const { config } = args;
    const zones = [...args.plan.availabilityZones].sort((a, b) => a.slot - b.slot);
    // Checked here, not only when the user data renders, so a preview fails with it too.
    const versionProblem = kubernetesVersionProblem(config.kubernetesVersion);
    if (versionProblem) {
      refuse(`ControlPlane ${name}`, [
        configProblem(kubernetesVersionKey, `= ${config.kubernetesVersion} ${versionProblem}`),
      ]);
    }
    if (zones.length === 0) {
      refuse(`ControlPlane ${name}`, [
        configProblem(`${projectName}:availabilityZones`, "has no zone in the address plan"),
      ]);
    }
    const known = Object.keys(args.privateSubnetIds).join(", ") || "none";
    refuseArgs(
      `ControlPlane ${name}`,
      zones
        .filter((zone) => args.privateSubnetIds[zone.name] === undefined)
        .map((zone) =>
          configProblem(
            `${projectName}:availabilityZones`,
            `include ${zone.name}, which has no private subnet id in privateSubnetIds (it has ${known})`,
          ),
        ),
    );
    this.initAvailabilityZone = zones[0].name;
    const prefix = masterScriptsParameterPrefix(config.clusterName);
    const scripts = masterScripts(config).map(
      (script) =>
        new aws.ssm.Parameter(
          logicalName("master", script.key),
          {
            name: `${prefix}/${script.key}`,
            type: "String",
            tier: "Standard",
            // Not secret: `insecureValue` keeps the script readable in diffs.
            insecureValue: script.content,
            description: `${script.path} on the masters of ${config.clusterName}`,
          },
          { parent: this },
        ),
    );
    this.autoScalingGroupNames = {};
    this.launchTemplateIds = {};

    zones.forEach((zone, order) => {
      const groupKey = logicalName("master", zone.name);
      const role = order === 0 ? "init" : "control-plane";
      const userData = pulumi.secret(
        pulumi
          .all([args.apiEndpointHost, args.pki.joinSecrets, args.secretStore])
          .apply(([host, join, store]) =>
            encodeUserData(
              renderMasterUserData({
                settings: kubeadmClusterSettings(config, args.plan, host),
                role,
                maxPods: config.masters.maxPods,
                joinDelaySeconds: Math.max(0, order - 1) * masterJoinStaggerSeconds,
                join: { caCertHash: join.caCertHash },
                store,
                initMarkerParameter: args.initMarkerParameter,
                region: config.region,
              }),
            ).toString("base64"),
          ),
      );
      const launchTemplate = new aws.ec2.LaunchTemplate(
        groupKey,
        nodeLaunchTemplateSpec({
          config,
          groupKey,
          instanceType: config.masters.instanceType,
          rootVolumeSizeGiB: config.masters.rootVolumeSizeGiB,
          securityGroupIds: args.securityGroupIds,
          instanceProfileName: args.instanceProfileName,
          userDataBase64: userData,
        }),
        { parent: this, additionalSecretOutputs: ["userData"] },
      );
      const group = new aws.autoscaling.Group(
        groupKey,
        {
          namePrefix: `${displayName(config.clusterName, groupKey)}-`,
          minSize: 1,
          maxSize: 1,
          desiredCapacity: 1,
          vpcZoneIdentifiers: [args.privateSubnetIds[zone.name]],
          // The exact version, so a template change shows in the diff; no
          // instance refresh: a master is replaced deliberately, one at a time
          // (see README "Operations"), never by a rolling refresh.
          launchTemplate: {
            id: launchTemplate.id,
            version: launchTemplate.latestVersion.apply(String),
          },
          targetGroupArns: [args.apiTargetGroupArn],
          // EC2 health only: the load balancer's check fails until kubeadm has
          // finished, and an ELB health check would replace the master mid-init.
          healthCheckType: "EC2",
          healthCheckGracePeriod: 600,
          tags: autoScalingGroupTags(config, {
            groupKey,
            maxPods: config.masters.maxPods,
            autoscaled: false,
          }),
        },
        // A master booting before its AZ's egress exists fails its bootstrap; it fetches its
        // scripts at boot, so they must exist before it starts.
        { parent: this, dependsOn: [...(args.egressDependencies?.[zone.name] ?? []), ...scripts] },
      );
      new aws.autoscaling.LifecycleHook(
        logicalName(groupKey, "termination"),
        {
          autoscalingGroupName: group.name,
          name: masterTerminationHookName,
          lifecycleTransition: "autoscaling:EC2_INSTANCE_TERMINATING",
          heartbeatTimeout: masterTerminationHeartbeatSeconds,
          defaultResult: "CONTINUE",
        },
        { parent: this },
      );
      this.autoScalingGroupNames[zone.name] = group.name;
      this.launchTemplateIds[zone.name] = launchTemplate.id;
    });

    this.registerOutputs({
      autoScalingGroupNames: this.autoScalingGroupNames,
      launchTemplateIds: this.launchTemplateIds,
    });
  }
}
