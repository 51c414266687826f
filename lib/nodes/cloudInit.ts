/**
 * Cloud-init user data for masters and workers: a `#cloud-config` document
 * whose write_files place the kernel settings, the kubeadm files, the
 * bootstrap script (and on masters the token rotation), and whose runcmd runs
 * the script once. No private key and no token is in here: the bootstrap
 * reads them from the cluster's secret store with the instance's role (see
 * README "Security"); the user data carries only the store's names and public
 * material (the cluster CA certificate and its hash). Pure: no Pulumi imports.
 */
import { gzipSync } from "fflate";
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
  bootstrapTokenPlaceholder,
  type KubeadmClusterSettings,
  kubeadmPatchesDirectory,
  kubeletPatchFile,
  renderInitConfiguration,
  renderJoinConfiguration,
  renderKubeletPatch,
} from "./kubeadmConfig";
import { lifecycleHookUnitName } from "./lifecycleHook";
import { masterScriptNames, masterScripts, masterScriptsParameterPrefix } from "./masterScripts";
import type { SecretFetchOptions } from "./secretFetch";
import type { SecretStoreNames } from "./secretStore";
import {
  renderTokenRotationScript,
  renderTokenRotationService,
  renderTokenRotationTimer,
  systemdUnitDirectory,
  tokenRotationScriptPath,
  tokenRotationUnit,
} from "./tokenRotation";

/** What every node needs to join: the bootstrap token and the CA it pins. */
export interface JoinSecrets {
  readonly bootstrapToken: string;
  /** `sha256:<hex>` of the cluster CA's SubjectPublicKeyInfo. */
  readonly caCertHash: string;
  readonly clusterCaCertPem: string;
}

/** The public half of joining: what a node pins and verifies the API with. */
export type JoinTrust = Pick<JoinSecrets, "caCertHash" | "clusterCaCertPem">;

/**
 * The material kubeadm shares between masters, stored so `kubeadm init`
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

/** EC2 refuses user data over 16 KiB (before base64); the limit applies to the gzip'd bytes. */
export const maxUserDataBytes = 16384;

/**
 * The bytes EC2 gets: the cloud-config gzip'd, which cloud-init recognises and
 * inflates. Compressed by fflate (pure JavaScript) with a fixed header, not by
 * Node's zlib, whose output differs between CPUs and builds: the same text must
 * give the same launch template on every machine, or every preview would show
 * a change and every worker group would roll.
 */
export function encodeUserData(text: string): Buffer {
  const bytes = gzipSync(Buffer.from(text, "utf8"), { level: 9, mem: 8, mtime: 0 });
  bytes[9] = 3; // OS: Unix, whatever machine renders it
  return Buffer.from(bytes);
}

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

function render(
  files: readonly WriteFile[],
  role: BootstrapRole,
  after: readonly (readonly string[])[] = [],
): string {
  const document = { write_files: files, runcmd: [[bootstrapScriptPath, role], ...after] };
  const text = `#cloud-config\n${stringify(document, { lineWidth: 0, blockQuote: "literal" })}`;
  const bytes = encodeUserData(text).length;
  if (bytes > maxUserDataBytes) {
    throw new Error(
      `the ${role} user data is ${bytes} bytes gzip'd; EC2 accepts at most ${maxUserDataBytes}`,
    );
  }
  return text;
}

export interface MasterUserDataOptions {
  readonly settings: KubeadmClusterSettings;
  /** init for the first master (by AZ slot); control-plane for the others. */
  readonly role: "init" | "control-plane";
  /** `calico-cluster:masters.maxPods`. */
  readonly maxPods: number;
  /** Seconds this master waits before joining; see BootstrapScriptOptions. @default 0 */
  readonly joinDelaySeconds?: number;
  /** `aws:region`: where the bootstrap fetches the master scripts (lib/nodes/masterScripts.ts). */
  readonly region: string;
  /** The CA hash joining pins (public). */
  readonly join: Pick<JoinTrust, "caCertHash">;
  /** Where the PKI and the token are read from, and the key new tokens are written with. */
  readonly store: SecretStoreNames;
  /** Retry settings of the store calls; defaults in secretFetch.ts. */
  readonly secretFetch?: Omit<SecretFetchOptions, "store" | "tokenPlaceholder">;
  /** The cluster's init marker parameter (`initMarkerParameterName`); required for `init`, set by every master that joins. */
  readonly initMarkerParameter?: string;
  /** Shell bodies other features plug into the bootstrap; see BootstrapHook. */
  readonly hooks?: BootstrapScriptOptions["hooks"];
}

/** The rotation script and its systemd service and timer, for every master. */
function tokenRotationFiles(store: SecretStoreNames): WriteFile[] {
  return [
    file(tokenRotationScriptPath, renderTokenRotationScript({ store }), "0700"),
    file(
      `${systemdUnitDirectory}/${tokenRotationUnit}.service`,
      renderTokenRotationService(),
      "0644",
    ),
    file(`${systemdUnitDirectory}/${tokenRotationUnit}.timer`, renderTokenRotationTimer(), "0644"),
  ];
}

/**
 * A master's user data. The first master also carries a join file: if it is
 * ever replaced, it finds the cluster running and joins instead of running
 * `kubeadm init` again. The shared CAs and the token are fetched at boot.
 */
export function renderMasterUserData(options: MasterUserDataOptions): string {
  const { settings, join } = options;
  const kubeadmFiles = [
    ...(options.role === "init"
      ? [
          file(
            `${kubeadmConfigDirectory}/${initConfigFile}`,
            renderInitConfiguration(settings, {
              bootstrapToken: bootstrapTokenPlaceholder,
              maxPods: options.maxPods,
            }),
          ),
        ]
      : []),
    file(
      `${kubeadmConfigDirectory}/${joinConfigFile}`,
      renderJoinConfiguration(settings, {
        bootstrapToken: bootstrapTokenPlaceholder,
        caCertHash: join.caCertHash,
        controlPlane: true,
      }),
    ),
  ];
  return render(
    [
      ...kernelFiles(),
      ...kubeadmFiles,
      file(`${kubeadmPatchesDirectory}/${kubeletPatchFile}`, renderKubeletPatch(options.maxPods)),
      ...tokenRotationFiles(options.store),
      file(
        bootstrapScriptPath,
        renderBootstrapScript({
          kubernetesVersion: settings.kubernetesVersion,
          apiEndpointHost: settings.controlPlaneEndpointHost,
          clusterCaPath: `${kubernetesPkiDirectory}/ca.crt`,
          imageRepository: settings.imageRepository,
          initMarkerParameter: options.initMarkerParameter,
          joinDelaySeconds: options.joinDelaySeconds,
          masterScripts: {
            region: options.region,
            parameterPrefix: masterScriptsParameterPrefix(settings.clusterName),
            names: masterScriptNames(
              masterScripts({ clusterName: settings.clusterName, region: options.region }),
            ),
          },
          store: options.store,
          secretFetch: options.secretFetch,
          hooks: options.hooks,
        }),
        "0700",
      ),
    ],
    options.role,
    // After the bootstrap, joined or not: a master the group terminates should leave etcd either way.
    [["systemctl", "enable", "--now", lifecycleHookUnitName]],
  );
}

export interface WorkerUserDataOptions {
  readonly settings: KubeadmClusterSettings;
  /** The group's kubelet maxPods (`calico-cluster:workerGroups[i].maxPods`). */
  readonly maxPods: number;
  /** The CA certificate and hash the worker verifies the API with (public). */
  readonly join: JoinTrust;
  /** Where the join token is read from (workers never read the PKI). */
  readonly store: Omit<SecretStoreNames, "kmsKeyArn">;
  /** Retry settings of the store calls; defaults in secretFetch.ts. */
  readonly secretFetch?: Omit<SecretFetchOptions, "store" | "tokenPlaceholder">;
  /** Shell bodies other features plug into the bootstrap; see BootstrapHook. */
  readonly hooks?: BootstrapScriptOptions["hooks"];
}

/** A worker's user data: no key and no token, only the CA certificate it pins and the store's names. */
export function renderWorkerUserData(options: WorkerUserDataOptions): string {
  const { settings, join } = options;
  return render(
    [
      ...kernelFiles(),
      file(workerClusterCaPath, join.clusterCaCertPem, "0644"),
      file(
        `${kubeadmConfigDirectory}/${joinConfigFile}`,
        renderJoinConfiguration(settings, {
          bootstrapToken: bootstrapTokenPlaceholder,
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
          store: options.store,
          secretFetch: options.secretFetch,
          imageRepository: settings.imageRepository,
          hooks: options.hooks,
        }),
        "0700",
      ),
    ],
    "worker",
  );
}
