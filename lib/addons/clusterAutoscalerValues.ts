/**
 * cluster-autoscaler as data: its chart and the Helm values this program sets.
 * Pure: no Pulumi imports.
 *
 * Checked against kubernetes/autoscaler, chart cluster-autoscaler 9.59.0
 * (values.yaml, templates/deployment.yaml): `cloudProvider: aws` with
 * `autoDiscovery.clusterName` discovers groups tagged
 * `k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>`;
 * each `extraArgs` entry becomes `--<key>=<value>`; `awsRegion` sets AWS_REGION.
 */
import type { ClusterConfig } from "../config/clusterConfig";
import { controlPlaneLabel, type Toleration } from "./awsCloudControllerValues";

export const clusterAutoscalerChart = {
  chart: "cluster-autoscaler",
  repository: "https://kubernetes.github.io/autoscaler",
  releaseName: "cluster-autoscaler",
  namespace: "kube-system",
} as const;

/** The group tags auto-discovery matches; the worker groups carry both. */
export function autoscalerDiscoveryTags(clusterName: string): Record<string, string> {
  return {
    "k8s.io/cluster-autoscaler/enabled": "true",
    [`k8s.io/cluster-autoscaler/${clusterName}`]: "owned",
  };
}

export interface ClusterAutoscalerValues {
  readonly cloudProvider: "aws";
  readonly awsRegion: string;
  readonly autoDiscovery: { readonly clusterName: string };
  readonly fullnameOverride: string;
  readonly image: { readonly tag: string };
  readonly extraArgs: Readonly<Record<string, string | boolean>>;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
}

/**
 * The chart values: this cluster's groups by tag, similar groups in different
 * AZs kept level, and the pod on the masters, whose role alone may change
 * group sizes.
 */
export function clusterAutoscalerValues(
  config: Pick<ClusterConfig, "clusterName" | "region" | "clusterAutoscaler">,
): ClusterAutoscalerValues {
  return {
    cloudProvider: "aws",
    awsRegion: config.region,
    autoDiscovery: { clusterName: config.clusterName },
    fullnameOverride: clusterAutoscalerChart.releaseName,
    image: { tag: config.clusterAutoscaler.version },
    extraArgs: {
      "balance-similar-node-groups": true,
      // Spread over the cheapest fit; the default, random, ignores waste.
      expander: "least-waste",
      // Pods with emptyDir (most charts) would otherwise pin their nodes forever.
      "skip-nodes-with-local-storage": false,
    },
    nodeSelector: { [controlPlaneLabel]: "" },
    tolerations: [{ key: controlPlaneLabel, operator: "Exists", effect: "NoSchedule" }],
  };
}
