/**
 * Cloud-init user data for masters and workers: a `#cloud-config` document
 * whose write_files place the kernel settings, the kubeadm files, the shared
 * CA material (masters only) and the bootstrap script, and whose runcmd runs
 * the script once. The CA keys and the bootstrap token are in here: the result
 * is a secret (see README "Security"). `encodeUserData` makes the bytes EC2
 * takes. Pure: no Pulumi imports.
 */
import { gzipSync } from "node:zlib";
import { stringify } from "yaml";
import {
  bootstrapScriptPath,
  type BootstrapRole,
  type BootstrapScriptOptions,
  initConfigFile,
  joinConfigFile,
  kubeadmConfigDirectory,
  renderBootstrapScript,
} from "./bootstrapScript";
import {
  type KubeadmClusterSettings,
  kubeadmPatchesDirectory,
  kubeletPatchFile,
  renderInitConfiguration,
  renderJoinConfiguration,
  renderKubeletPatch,
} from "./kubeadmConfig";

/** What every node needs to join: the bootstrap token and the CA it pins. */
export interface JoinSecrets {
  readonly bootstrapToken: string;
  /** `sha256:<hex>` of the cluster CA's SubjectPublicKeyInfo. */
  readonly caCertHash: string;
  readonly clusterCaCertPem: string;
}

/**
 * The material kubeadm shares between masters, pre-placed so `kubeadm init`
 * and every control-plane join use the same CAs and service-account key.
 */
export interface ControlPlaneSecrets {
  readonly clusterCaCertPem: string;
  readonly clusterCaKeyPem: string;
  readonly frontProxyCaCertPem: string;
  readonly frontProxyCaKeyPem: string;
  readonly etcdCaCertPem: string;
  readonly etcdCaKeyPem: string;
  readonly serviceAccountKeyPem: string;
  readonly serviceAccountPublicKeyPem: string;
}

/** EC2 refuses user data over 16 KiB (before base64). */
export const maxUserDataBytes = 16384;

export const kubernetesPkiDirectory = "/etc/kubernetes/pki";
/** Outside /etc/kubernetes/pki: a worker's `kubeadm join` refuses to start if ca.crt is there. */
export const workerClusterCaPath = `${kubeadmConfigDirectory}/cluster-ca.crt`;

/** cloud-init writes as root:root unless told otherwise; every file here is root's. */
interface WriteFile {
  readonly path: string;
  readonly permissions: string;
  readonly content: string;
}

const file = (path: string, content: string, permissions = "0600"): WriteFile => ({
  path,
  permissions,
  content: content.endsWith("\n") ? content : `${content}\n`,
});

/** Kernel prerequisites of containerd and kube-proxy/Calico: bridged traffic through iptables, forwarding. */
function kernelFiles(): WriteFile[] {
  return [
    file("/etc/modules-load.d/kubernetes.conf", "overlay\nbr_netfilter\n", "0644"),
    file(
      "/etc/sysctl.d/90-kubernetes.conf",
      [
        "net.bridge.bridge-nf-call-iptables = 1",
        "net.bridge.bridge-nf-call-ip6tables = 1",
        "net.ipv4.ip_forward = 1",
      ].join("\n"),
      "0644",
    ),
  ];
}

/** The paths kubeadm looks for (its defaults under /etc/kubernetes/pki). */
function controlPlanePkiFiles(pki: ControlPlaneSecrets): WriteFile[] {
  const dir = kubernetesPkiDirectory;
  return [
    file(`${dir}/ca.crt`, pki.clusterCaCertPem, "0644"),
    file(`${dir}/ca.key`, pki.clusterCaKeyPem),
    file(`${dir}/front-proxy-ca.crt`, pki.frontProxyCaCertPem, "0644"),
    file(`${dir}/front-proxy-ca.key`, pki.frontProxyCaKeyPem),
    file(`${dir}/etcd/ca.crt`, pki.etcdCaCertPem, "0644"),
    file(`${dir}/etcd/ca.key`, pki.etcdCaKeyPem),
    file(`${dir}/sa.key`, pki.serviceAccountKeyPem),
    file(`${dir}/sa.pub`, pki.serviceAccountPublicKeyPem, "0644"),
  ];
}

function render(files: readonly WriteFile[], role: BootstrapRole): string {
  const document = { write_files: files, runcmd: [[bootstrapScriptPath, role]] };
  return `#cloud-config\n${stringify(document, { lineWidth: 0, blockQuote: "literal" })}`;
}

/**
 * The bytes to hand EC2 (base64 them for the launch template): the cloud-config
 * itself when it fits in 16 KiB, else gzip'd (cloud-init unpacks gzip user data).
 * Plain whenever possible: the same text always gives the same bytes, while gzip
 * output may differ between zlib builds and so roll launch templates needlessly.
 * @throws if even the gzip'd user data is over 16 KiB, with its size
 */
export function encodeUserData(text: string, role: BootstrapRole): Buffer {
  const plain = Buffer.from(text, "utf8");
  if (plain.length <= maxUserDataBytes) return plain;
  const packed = gzipSync(plain, { level: 9 });
  if (packed.length <= maxUserDataBytes) return packed;
  throw new Error(
    `the ${role} user data is ${plain.length} bytes (${packed.length} gzip'd); EC2 accepts at most ${maxUserDataBytes}`,
  );
}

export interface MasterUserDataOptions {
  readonly settings: KubeadmClusterSettings;
  /** init for the first master (by AZ slot); control-plane for the others. */
  readonly role: "init" | "control-plane";
  /** `calico-cluster:masters.maxPods`. */
  readonly maxPods: number;
  /** Seconds this master waits before joining; see BootstrapScriptOptions. @default 0 */
  readonly joinDelaySeconds?: number;
  /** The cluster's init marker parameter (`initMarkerParameterName`); required for `init`, set by every master that joins. */
  readonly initMarkerParameter?: string;
  readonly join: JoinSecrets;
  readonly pki: ControlPlaneSecrets;
  /** Shell bodies other features plug into the bootstrap; see BootstrapHook. */
  readonly hooks?: BootstrapScriptOptions["hooks"];
}

/**
 * A master's user data. The first master also carries a join file: if it is
 * ever replaced, it finds the cluster running and joins instead of running
 * `kubeadm init` again.
 */
export function renderMasterUserData(options: MasterUserDataOptions): string {
  const { settings, join } = options;
  const kubeadmFiles = [
    ...(options.role === "init"
      ? [
          file(
            `${kubeadmConfigDirectory}/${initConfigFile}`,
            renderInitConfiguration(settings, {
              bootstrapToken: join.bootstrapToken,
              maxPods: options.maxPods,
            }),
          ),
        ]
      : []),
    file(
      `${kubeadmConfigDirectory}/${joinConfigFile}`,
      renderJoinConfiguration(settings, {
        bootstrapToken: join.bootstrapToken,
        caCertHash: join.caCertHash,
        controlPlane: true,
      }),
    ),
  ];
  return render(
    [
      ...kernelFiles(),
      ...controlPlanePkiFiles(options.pki),
      ...kubeadmFiles,
      file(`${kubeadmPatchesDirectory}/${kubeletPatchFile}`, renderKubeletPatch(options.maxPods)),
      file(
        bootstrapScriptPath,
        renderBootstrapScript({
          kubernetesVersion: settings.kubernetesVersion,
          apiEndpointHost: settings.controlPlaneEndpointHost,
          clusterCaPath: `${kubernetesPkiDirectory}/ca.crt`,
          imageRepository: settings.imageRepository,
          initMarkerParameter: options.initMarkerParameter,
          joinDelaySeconds: options.joinDelaySeconds,
          hooks: options.hooks,
        }),
        "0700",
      ),
    ],
    options.role,
  );
}

export interface WorkerUserDataOptions {
  readonly settings: KubeadmClusterSettings;
  /** The group's kubelet maxPods (`calico-cluster:workerGroups[i].maxPods`). */
  readonly maxPods: number;
  readonly join: JoinSecrets;
  /** Shell bodies other features plug into the bootstrap; see BootstrapHook. */
  readonly hooks?: BootstrapScriptOptions["hooks"];
}

/** A worker's user data: no CA keys, only the token and the CA it pins. */
export function renderWorkerUserData(options: WorkerUserDataOptions): string {
  const { settings, join } = options;
  return render(
    [
      ...kernelFiles(),
      file(workerClusterCaPath, join.clusterCaCertPem, "0644"),
      file(
        `${kubeadmConfigDirectory}/${joinConfigFile}`,
        renderJoinConfiguration(settings, {
          bootstrapToken: join.bootstrapToken,
          caCertHash: join.caCertHash,
          controlPlane: false,
        }),
      ),
      file(`${kubeadmPatchesDirectory}/${kubeletPatchFile}`, renderKubeletPatch(options.maxPods)),
      file(
        bootstrapScriptPath,
        renderBootstrapScript({
          kubernetesVersion: settings.kubernetesVersion,
          apiEndpointHost: settings.controlPlaneEndpointHost,
          clusterCaPath: workerClusterCaPath,
          imageRepository: settings.imageRepository,
          hooks: options.hooks,
        }),
        "0700",
      ),
    ],
    "worker",
  );
}
