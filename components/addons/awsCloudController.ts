/**
 * The AWS cloud controller manager: initialises nodes (provider ID, addresses,
 * zone labels; until then they carry the `uninitialized` taint), deletes Nodes
 * whose instance is gone, and turns `type: LoadBalancer` Services into AWS load
 * balancers in the subnets tagged for the cluster. A DaemonSet on the masters,
 * whose instance role holds its permissions (`NodeIam`).
 *
 * It runs on the host network and tolerates a new node's taints, so it starts
 * as soon as the API answers, independently of Calico; CoreDNS and
 * cluster-autoscaler then schedule once it has initialised the nodes.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../lib/config/clusterConfig";
import {
  awsCloudControllerChart,
  awsCloudControllerValues,
} from "../../lib/addons/awsCloudControllerValues";
import { logicalName } from "../../lib/naming";

export interface AwsCloudControllerArgs {
  /** Validated stack config: `clusterName` and the resolved `cloudController` versions. Required. */
  readonly config: Pick<ClusterConfig, "clusterName" | "cloudController">;
  /** A Kubernetes provider that talks to the cluster only once its API answers (`Calico.provider`). Required. */
  readonly provider: k8s.Provider;
  /** Resources to install after; default none. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

export class AwsCloudController extends pulumi.ComponentResource {
  /** The controller's image tag. */
  readonly version: pulumi.Output<string>;
  readonly chartVersion: pulumi.Output<string>;
  /** The Helm release, for resources that must come after the controller. */
  readonly release: k8s.helm.v3.Release;

  constructor(name: string, args: AwsCloudControllerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:addons:AwsCloudController", name, {}, opts);
    const chart = awsCloudControllerChart;
    this.release = new k8s.helm.v3.Release(
      logicalName(name, "release"),
      {
        name: chart.releaseName,
        chart: chart.chart,
        version: args.config.cloudController.chartVersion,
        repositoryOpts: { repo: chart.repository },
        namespace: chart.namespace,
        values: awsCloudControllerValues(args.config),
        maxHistory: 5,
      },
      {
        parent: this,
        provider: args.provider,
        dependsOn: args.dependsOn ? [...args.dependsOn] : undefined,
      },
    );
    this.version = pulumi.output(args.config.cloudController.version);
    this.chartVersion = pulumi.output(args.config.cloudController.chartVersion);
    this.registerOutputs({ version: this.version, chartVersion: this.chartVersion });
  }
}
