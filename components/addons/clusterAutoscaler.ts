/**
 * cluster-autoscaler: grows a worker group when pods cannot be scheduled and
 * shrinks it when nodes stay underused, within each group's `minSize` and
 * `maxSize`. It finds the groups by their tags (`NodeGroup`), runs on the masters
 * (only the master role may change group sizes, `NodeIam`), and is installed
 * after the cloud controller, which maps Nodes to instances through their
 * provider IDs and removes the taint that would keep this pod pending.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../../lib/config/clusterConfig";
import {
  clusterAutoscalerChart,
  clusterAutoscalerValues,
} from "../../lib/addons/clusterAutoscalerValues";
import { logicalName } from "../../lib/naming";

/** Seconds Helm waits for the Deployment: it needs Calico and initialised nodes first. */
export const autoscalerInstallTimeoutSeconds = 900;

export interface ClusterAutoscalerArgs {
  /** Validated stack config: `clusterName`, `region`, the resolved `clusterAutoscaler` versions. Required. */
  readonly config: Pick<ClusterConfig, "clusterName" | "region" | "clusterAutoscaler">;
  /** A Kubernetes provider that talks to the cluster only once its API answers (`Calico.provider`). Required. */
  readonly provider: k8s.Provider;
  /** Installed after these (the cloud controller and Calico releases); default none. */
  readonly dependsOn?: readonly pulumi.Resource[];
}

export class ClusterAutoscaler extends pulumi.ComponentResource {
  /** The autoscaler's image tag. */
  readonly version: pulumi.Output<string>;
  readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:addons:ClusterAutoscaler", name, {}, opts);
    const chart = clusterAutoscalerChart;
    new k8s.helm.v3.Release(
      logicalName(name, "release"),
      {
        name: chart.releaseName,
        chart: chart.chart,
        version: args.config.clusterAutoscaler.chartVersion,
        repositoryOpts: { repo: chart.repository },
        namespace: chart.namespace,
        values: clusterAutoscalerValues(args.config),
        maxHistory: 5,
        timeout: autoscalerInstallTimeoutSeconds,
      },
      {
        parent: this,
        provider: args.provider,
        dependsOn: args.dependsOn ? [...args.dependsOn] : undefined,
      },
    );
    this.version = pulumi.output(args.config.clusterAutoscaler.version);
    this.chartVersion = pulumi.output(args.config.clusterAutoscaler.chartVersion);
    this.registerOutputs({ version: this.version, chartVersion: this.chartVersion });
  }
}
