/**
 * The AWS cloud controller manager as data: its chart and the Helm values this
 * program sets. Pure: no Pulumi imports, so tests and the policy pack see exactly
 * what the program declares.
 *
 * Checked against kubernetes/cloud-provider-aws, chart aws-cloud-controller-manager
 * 0.0.11 (values.yaml, templates/daemonset.yaml): a DaemonSet whose container
 * arguments are the `args` list, `hostNetwork` only with `hostNetworking: true`,
 * `image.tag`, `nodeSelector` and `tolerations` used as given.
 */
import type { ClusterConfig } from "../config/clusterConfig";

export const awsCloudControllerChart = {
  chart: "aws-cloud-controller-manager",
  repository: "https://kubernetes.github.io/cloud-provider-aws",
  releaseName: "aws-cloud-controller-manager",
  namespace: "kube-system",
} as const;

/** The label kubeadm puts on control-plane nodes, and the taint it keeps them apart with. */
export const controlPlaneLabel = "node-role.kubernetes.io/control-plane";

/** Taint the kubelet puts on every node of an external cloud provider until the controller initialises it. */
export const uninitializedTaint = "node.cloudprovider.kubernetes.io/uninitialized";

export interface Toleration {
  readonly key: string;
  readonly operator?: "Exists" | "Equal";
  readonly value?: string;
  readonly effect: "NoSchedule" | "NoExecute";
}

export interface AwsCloudControllerValues {
  readonly image: { readonly tag: string };
  readonly args: readonly string[];
  readonly hostNetworking: true;
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly tolerations: readonly Toleration[];
}

/** The controller's flags; `--configure-cloud-routes=false` because Calico, not VPC routes, carries pod traffic. */
export function awsCloudControllerArgs(clusterName: string): string[] {
  return [
    "--v=2",
    "--cloud-provider=aws",
    "--configure-cloud-routes=false",
    `--cluster-name=${clusterName}`,
  ];
}

/**
 * The chart values: the image at the cluster's minor, on the masters only (their
 * role holds the controller's permissions), on the host network so it starts
 * before Calico (since Kubernetes 1.29 a node has no addresses until this
 * controller sets them, and Calico may wait for them), tolerating the taints a
 * brand-new master carries.
 */
export function awsCloudControllerValues(
  config: Pick<ClusterConfig, "clusterName" | "cloudController">,
): AwsCloudControllerValues {
  return {
    image: { tag: config.cloudController.version },
    args: awsCloudControllerArgs(config.clusterName),
    hostNetworking: true,
    nodeSelector: { [controlPlaneLabel]: "" },
    tolerations: [
      { key: uninitializedTaint, value: "true", effect: "NoSchedule" },
      { key: controlPlaneLabel, operator: "Exists", effect: "NoSchedule" },
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoSchedule" },
    ],
  };
}
