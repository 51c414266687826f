/**
 * kubeadm's pod subnet, as the nodes' user data gives it to `kubeadm init`
 * (`networking.podSubnet` in a ClusterConfiguration, or `--pod-network-cidr`).
 * The tigera-operator reads the same value from the cluster's kubeadm-config
 * ConfigMap for its default pool when an Installation lists no pools; the pack
 * cannot see that ConfigMap, but it can see the user data that writes it.
 */
import { userDataLayers } from "../rules/userDataLayers";
import type { ResourceGraph } from "./resources";
import { asString, unknown } from "./values";

/** Resources whose user data may bootstrap a kubeadm node, and the properties that carry it. */
const userDataSources: readonly { readonly type: string; readonly keys: readonly string[] }[] = [
  { type: "aws:ec2/launchTemplate:LaunchTemplate", keys: ["userData"] },
  { type: "aws:ec2/launchConfiguration:LaunchConfiguration", keys: ["userData", "userDataBase64"] },
  { type: "aws:ec2/instance:Instance", keys: ["userData", "userDataBase64"] },
];

export interface KubeadmPodSubnet {
  /** The first pod subnet found, if any. */
  readonly cidr: string | undefined;
  /** The resource whose user data names it. */
  readonly source: string | undefined;
  /** True when some user data is unknown (a preview) and no pod subnet was found. */
  readonly unreadable: boolean;
  /** True when some user data runs kubeadm. */
  readonly kubeadm: boolean;
}

const podSubnetPatterns = [
  /podSubnet:\s*["']?([0-9A-Fa-f.:/,]+)/,
  /--pod-network-cidr(?:=|\s+)["']?([0-9A-Fa-f.:/,]+)/,
];

export function kubeadmPodSubnet(graph: ResourceGraph): KubeadmPodSubnet {
  let unreadable = false;
  let kubeadm = false;
  for (const { type, keys } of userDataSources) {
    for (const resource of graph.ofType(type)) {
      for (const key of keys) {
        const value = asString(resource.props[key]);
        if (value === unknown) unreadable = true;
        if (typeof value !== "string") continue;
        // Base64 (launch templates), gzip'd, MIME or write_files-encoded, as cloud-init reads it.
        for (const { text } of userDataLayers(value)) {
          if (text.includes("kubeadm")) kubeadm = true;
          for (const pattern of podSubnetPatterns) {
            const match = pattern.exec(text);
            const first = match?.[1].split(",").find((cidr) => cidr.includes("."));
            if (first !== undefined) {
              return { cidr: first, source: resource.name, unreadable: false, kubeadm: true };
            }
          }
        }
      }
    }
  }
  return { cidr: undefined, source: undefined, unreadable, kubeadm };
}
