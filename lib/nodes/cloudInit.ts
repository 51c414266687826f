/**
 * Cloud-init user data for masters and workers: a `#cloud-config` document
 * whose write_files place the kernel settings, the kubeadm files, the shared
 * CA material (masters only) and the bootstrap script, and whose runcmd runs
 * the script once. The CA keys and the bootstrap token are in here: the result
 * is a secret (see README "Security"). Pure: no Pulumi imports.
 */
import { stringify } from "yaml";
import {
  bootstrapScriptPath,
  type BootstrapRole,
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
import { lifecycleHookUnitName } from "./lifecycleHook";
import { masterScriptNames, masterScripts, masterScriptsParameterPrefix } from "./masterScripts";

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

/** EC2 refuses user data over 16 KiB (before base64). Not compressed: gzip output varies by zlib build. */
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

function render(
  files: readonly WriteFile[],
  role: BootstrapRole,
  after: readonly (readonly string[])[] = [],
): string {
  const document = { write_files: files, runcmd: [[bootstrapScriptPath, role], ...after] };
  const text = `#cloud-config\n${stringify(document, { lineWidth: 0, blockQuote: "literal" })}`;
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > maxUserDataBytes) {
    throw new Error(
      `the ${role} user data is ${bytes} bytes; EC2 accepts at most ${maxUserDataBytes}`,
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
  /** Seconds this master waits before joining; see BootstrapScriptOptions. Default 0. */
  readonly joinDelaySeconds?: number;
  readonly join: JoinSecrets;
  readonly pki: ControlPlaneSecrets;
  /** `aws:region`: where the bootstrap fetches the master scripts (lib/nodes/masterScripts.ts). */
  readonly region: string;
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
          joinDelaySeconds: options.joinDelaySeconds,
          masterScripts: {
            region: options.region,
            parameterPrefix: masterScriptsParameterPrefix(settings.clusterName),
            names: masterScriptNames(
              masterScripts({ clusterName: settings.clusterName, region: options.region }),
            ),
          },
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
  readonly join: JoinSecrets;
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
        }),
        "0700",
      ),
    ],
    "worker",
  );
}
