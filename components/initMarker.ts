/**
 * The cluster's init marker (lib/nodes/initMarker.ts): an SSM String parameter
 * created as `uninitialised`, set to `initialised` by the init master after a
 * successful `kubeadm init`, and read by every master before it decides to init
 * or join. Its value belongs to the cluster from then on: `pulumi up` ignores
 * changes to it, so it never rolls a running cluster back to "never initialised".
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { displayName } from "../lib/naming";
import { initMarkerParameterName, initMarkerPending } from "../lib/nodes/initMarker";

export interface ClusterInitMarkerArgs {
  /** Validated stack config: the cluster name (the parameter's path). Required. */
  readonly config: Pick<ClusterConfig, "clusterName">;
}

export class ClusterInitMarker extends pulumi.ComponentResource {
  /** The parameter's name, `/calico-cluster/<cluster>/kubeadm-init`. */
  readonly parameterName: string;
  readonly parameterArn: pulumi.Output<string>;

  constructor(name: string, args: ClusterInitMarkerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:nodes:ClusterInitMarker", name, {}, opts);
    this.parameterName = initMarkerParameterName(args.config.clusterName);
    const parameter = new aws.ssm.Parameter(
      "kubeadm-init",
      {
        name: this.parameterName,
        type: "String",
        value: initMarkerPending,
        description: `Whether kubeadm init has run for ${args.config.clusterName}; set by its init master`,
        tags: { Name: displayName(args.config.clusterName, "kubeadm-init") },
      },
      { parent: this, ignoreChanges: ["value", "insecureValue"] },
    );
    this.parameterArn = parameter.arn;
    this.registerOutputs({ parameterName: this.parameterName, parameterArn: this.parameterArn });
  }
}
