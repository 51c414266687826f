/**
 * kubeadm configuration files (kubeadm.k8s.io/v1beta4) and the kubelet
 * configuration they carry. Everything cluster-wide comes from the validated
 * config and the address plan; the two values only an instance knows (its
 * node name and private address) are placeholders the bootstrap script fills
 * in from the instance metadata. Pure: no Pulumi imports.
 */
import { stringify } from "yaml";
import type { AddressPlan } from "../plan/addressPlan";
import type { ClusterConfig } from "../config/clusterConfig";
import { kubernetesVersionKey, kubernetesVersionProblem } from "../config/kubernetesVersion";
import { apiServerPort } from "../ports";
import { joinTokenTtlHours } from "./secretStore";
import { defaultImageRepository } from "../registryMirror";

export const kubeadmApiVersion = "kubeadm.k8s.io/v1beta4";
export const kubeletApiVersion = "kubelet.config.k8s.io/v1beta1";
export const containerdSocket = "unix:///var/run/containerd/containerd.sock";
/** Replaced on the instance by its EC2 private DNS name (sed-safe: no `/`, `&` or `\`). */
export const nodeNamePlaceholder = "__NODE_NAME__";
/** Replaced on the instance by its private IPv4 address. */
export const nodeIpPlaceholder = "__NODE_IP__";
/**
 * Replaced on the instance by `aws:///<az>/<instance-id>`, the ID the AWS cloud
 * controller and cluster-autoscaler map the Node to its instance by. Contains
 * `/`: substitute it with another sed delimiter.
 */
export const providerIdPlaceholder = "__PROVIDER_ID__";
/**
 * The AWS cloud controller manager owns node initialisation, routes and load
 * balancers: kubelet and kube-controller-manager leave them to it. Never the API
 * server: its flag was removed in 1.33 and it refuses to start with it.
 */
export const externalCloudProviderArgs = [{ name: "cloud-provider", value: "external" }] as const;
/**
 * Replaced on the instance by the join token it reads from the cluster's store
 * (lib/nodes/secretFetch.ts): user data never carries the token itself.
 */
export const bootstrapTokenPlaceholder = "__BOOTSTRAP_TOKEN__";
/** kubeadm reads `kubeletconfiguration+merge.yaml` from here on init and join. */
export const kubeadmPatchesDirectory = "/etc/kubeadm/patches";
export const kubeletPatchFile = "kubeletconfiguration+merge.yaml";
/**
 * kubeadm's timeout for API calls (default 1m0s). Through the load balancer a
 * new master's first calls wait for the NLB to register it as a target, which
 * takes minutes; 5m leaves room.
 */
export const kubernetesApiCallTimeout = "5m0s";

/** The cluster-wide facts every kubeadm file is rendered from. */
export interface KubeadmClusterSettings {
  readonly clusterName: string;
  /** Without the leading `v`, e.g. `1.34.2`. */
  readonly kubernetesVersion: string;
  /** The API load balancer's DNS name; nodes and the program reach the API through it. */
  readonly controlPlaneEndpointHost: string;
  readonly podSubnet: string;
  readonly serviceSubnet: string;
  /** kubeadm's `imageRepository`: `calico-cluster:registryMirror`; @default registry.k8s.io */
  readonly imageRepository?: string;
}

const hostPattern =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * The settings for a stack: pod subnet from the plan's pod pool, service
 * subnet from `calico-cluster:serviceCidr`.
 * @throws if the version predates v1beta4, or the endpoint host is not a DNS name or IPv4
 *   address (it ends up in shell and YAML)
 */
export function kubeadmClusterSettings(
  config: Pick<ClusterConfig, "clusterName" | "kubernetesVersion" | "serviceCidr"> &
    Partial<Pick<ClusterConfig, "registryMirror">>,
  plan: Pick<AddressPlan, "podPool">,
  controlPlaneEndpointHost: string,
): KubeadmClusterSettings {
  const versionProblem = kubernetesVersionProblem(config.kubernetesVersion);
  if (versionProblem) {
    throw new Error(`${kubernetesVersionKey} = ${config.kubernetesVersion} ${versionProblem}`);
  }
  if (!hostPattern.test(controlPlaneEndpointHost)) {
    throw new Error(
      `the API endpoint host ${JSON.stringify(controlPlaneEndpointHost)} is not a DNS name or IPv4 address`,
    );
  }
  return {
    clusterName: config.clusterName,
    kubernetesVersion: config.kubernetesVersion,
    controlPlaneEndpointHost,
    podSubnet: plan.podPool.cidr,
    serviceSubnet: config.serviceCidr,
    ...(config.registryMirror !== undefined ? { imageRepository: config.registryMirror } : {}),
  };
}

/** `host:6443`, kubeadm's `controlPlaneEndpoint` and the join discovery endpoint. */
export function controlPlaneEndpoint(
  settings: Pick<KubeadmClusterSettings, "controlPlaneEndpointHost">,
): string {
  return `${settings.controlPlaneEndpointHost}:${apiServerPort}`;
}

function yamlDocuments(documents: readonly object[]): string {
  return documents.map((document) => stringify(document, { lineWidth: 0 })).join("---\n");
}

/**
 * The node's name (its EC2 private DNS name) and address, both filled in on the
 * instance; `node-ip` so kubelet never picks another interface's address.
 */
function nodeRegistration() {
  return {
    name: nodeNamePlaceholder,
    criSocket: containerdSocket,
    kubeletExtraArgs: [{ name: "node-ip", value: nodeIpPlaceholder }, ...externalCloudProviderArgs],
  };
}

const timeouts = { kubernetesAPICall: kubernetesApiCallTimeout };

/**
 * The kubelet settings every node of a group shares. Written as the cluster's
 * kubelet-config on init, and as a kubeadm patch on every node, so a group's
 * maxPods holds whatever the cluster-wide default is.
 */
export function kubeletSettings(maxPods: number) {
  return { cgroupDriver: "systemd", maxPods };
}

/**
 * The first master's `kubeadm init --config` file: InitConfiguration (node
 * identity, the first join token, with kubeadm's 24h TTL),
 * ClusterConfiguration (version, endpoint, pod and service subnets) and the
 * cluster-wide KubeletConfiguration.
 * @param maxPods the masters' kubelet maxPods (`calico-cluster:masters.maxPods`)
 */
export function renderInitConfiguration(
  settings: KubeadmClusterSettings,
  options: { readonly bootstrapToken: string; readonly maxPods: number },
): string {
  const init = {
    apiVersion: kubeadmApiVersion,
    kind: "InitConfiguration",
    bootstrapTokens: [
      {
        token: options.bootstrapToken,
        description:
          "First join token; the masters' kubeadm-token-rotation keeps a valid one stored",
        // Expires like any kubeadm token; nodes launched later read the current one from the store.
        ttl: `${joinTokenTtlHours}h`,
        usages: ["signing", "authentication"],
        groups: ["system:bootstrappers:kubeadm:default-node-token"],
      },
    ],
    nodeRegistration: nodeRegistration(),
    localAPIEndpoint: { advertiseAddress: nodeIpPlaceholder, bindPort: apiServerPort },
    patches: { directory: kubeadmPatchesDirectory },
    timeouts,
  };
  const cluster = {
    apiVersion: kubeadmApiVersion,
    kind: "ClusterConfiguration",
    clusterName: settings.clusterName,
    kubernetesVersion: `v${settings.kubernetesVersion}`,
    controlPlaneEndpoint: controlPlaneEndpoint(settings),
    // Control-plane images, CoreDNS, kube-proxy and the pause image all come from here.
    imageRepository: settings.imageRepository ?? defaultImageRepository,
    // The pre-placed CAs and service-account key are ECDSA P-256 (they must fit in
    // 16 KiB of user data); kubeadm signs the certificates it creates the same way.
    encryptionAlgorithm: "ECDSA-P256",
    networking: {
      podSubnet: settings.podSubnet,
      serviceSubnet: settings.serviceSubnet,
      dnsDomain: "cluster.local",
    },
    apiServer: { certSANs: [settings.controlPlaneEndpointHost] },
    controllerManager: { extraArgs: [...externalCloudProviderArgs] },
  };
  const kubelet = {
    apiVersion: kubeletApiVersion,
    kind: "KubeletConfiguration",
    ...kubeletSettings(options.maxPods),
  };
  return yamlDocuments([init, cluster, kubelet]);
}

/**
 * A `kubeadm join --config` file. Discovery pins the cluster CA by its hash,
 * so a node never trusts an endpoint that merely knows the token.
 * @param controlPlane true for a master: it also runs etcd and an API server
 */
export function renderJoinConfiguration(
  settings: Pick<KubeadmClusterSettings, "controlPlaneEndpointHost">,
  options: {
    readonly bootstrapToken: string;
    readonly caCertHash: string;
    readonly controlPlane: boolean;
  },
): string {
  const join = {
    apiVersion: kubeadmApiVersion,
    kind: "JoinConfiguration",
    discovery: {
      bootstrapToken: {
        apiServerEndpoint: controlPlaneEndpoint(settings),
        token: options.bootstrapToken,
        caCertHashes: [options.caCertHash],
      },
    },
    nodeRegistration: nodeRegistration(),
    ...(options.controlPlane
      ? {
          controlPlane: {
            localAPIEndpoint: { advertiseAddress: nodeIpPlaceholder, bindPort: apiServerPort },
          },
        }
      : {}),
    patches: { directory: kubeadmPatchesDirectory },
    timeouts,
  };
  return yamlDocuments([join]);
}

/**
 * The kubelet patch of a group. kubeadm join ignores a KubeletConfiguration in
 * its config file (a joining node takes the cluster's kubelet-config), so a
 * group's own maxPods has to arrive as a patch; so does the node's own
 * providerID, which must never reach the cluster-wide kubelet-config.
 */
export function renderKubeletPatch(maxPods: number): string {
  return yamlDocuments([{ ...kubeletSettings(maxPods), providerID: providerIdPlaceholder }]);
}
