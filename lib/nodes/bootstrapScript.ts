/**
 * The node bootstrap script cloud-init runs once per instance, as phases:
 * prepare_host, discover_identity, install_packages (skipped on a pre-baked
 * image), configure_containerd, the fetch_secrets hook, decide_init_or_join,
 * kubeadm with bounded retries (run_kubeadm_with_retries), the after_kubeadm
 * hook; any failure after the arguments are checked ends in mark_unhealthy.
 * The phases live in ./bootstrap/; this file checks the values, renders them as
 * a header of single-quoted constants (so no config value is ever parsed by the
 * shell) and the hook functions. Pure: no Pulumi imports.
 */
import { apiServerPort } from "../ports";
import { commonFunctions } from "./bootstrap/shellCommon";
import { hostFunctions } from "./bootstrap/hostSetup";
import { kubeadmFunctions } from "./bootstrap/kubeadmPhases";
import { defaultImageRepository } from "../registryMirror";
import { initMarkerDone, initMarkerPending } from "./initMarker";
import {
  bootstrapTokenPlaceholder,
  kubeadmPatchesDirectory,
  kubeletPatchFile,
  nodeIpPlaceholder,
  nodeNamePlaceholder,
  providerIdPlaceholder,
} from "./kubeadmConfig";
import { etcdCleanupScriptPath } from "./etcdCleanup";
import { renderSecretFetch, type SecretFetchOptions } from "./secretFetch";
import type { SecretStoreNames } from "./secretStore";
import { tokenRotationUnit } from "./tokenRotation";

/** Where cloud-init writes the script and the files it reads. */
export const bootstrapScriptPath = "/usr/local/sbin/kubeadm-bootstrap";
export const kubeadmConfigDirectory = "/etc/kubeadm";
export const initConfigFile = "init.yaml";
export const joinConfigFile = "join.yaml";

/**
 * containerd from Ubuntu 24.04's archive (source package containerd-app, 2.2.x
 * in noble-updates), pinned to its minor series and held like the Kubernetes packages.
 */
export const containerdVersion = "2.2.*";
/** Seconds between probes of the API endpoint. */
export const pollSeconds = 10;

/** init: the first master; control-plane: the other masters; worker: every worker group. */
export type BootstrapRole = "init" | "control-plane" | "worker";

/**
 * Where other features plug into the bootstrap, as shell function bodies (code
 * from the renderers, never config values): `fetchSecrets` runs after
 * containerd is configured and before the init-or-join decision;
 * `beforeControlPlaneJoin` before every control-plane `kubeadm join`;
 * `afterKubeadm` once the node has initialised or joined. Each defaults to `:`.
 */
export type BootstrapHook = "fetchSecrets" | "beforeControlPlaneJoin" | "afterKubeadm";

export interface BootstrapScriptOptions {
  /** e.g. `1.34.2`; apt installs `1.34.2-*` from the pkgs.k8s.io repo of `v1.34`. */
  readonly kubernetesVersion: string;
  /** The API load balancer's DNS name. */
  readonly apiEndpointHost: string;
  /** The cluster CA certificate on the instance; the script verifies the API with it. */
  readonly clusterCaPath: string;
  /** kubeadm's image repository (the registry mirror); @default registry.k8s.io */
  readonly imageRepository?: string;
  /** The SSM parameter holding the init marker; required for `init`, set by masters that join. */
  readonly initMarkerParameter?: string;
  /**
   * Seconds a joining master waits after the cluster answers. etcd adds members one
   * at a time; staggering the masters keeps their joins from racing. @default 0
   */
  readonly joinDelaySeconds?: number;
  /** How long a joining node waits for a joinable cluster; @default 2400 (40 minutes) */
  readonly apiWaitSeconds?: number;
  /** How long the init role probes the endpoint before `kubeadm init`; @default 90 */
  readonly existingClusterProbeSeconds?: number;
  /**
   * Masters only: where their AWS lifecycle scripts are fetched from
   * (lib/nodes/masterScripts.ts). @default none (workers)
   */
  readonly masterScripts?: {
    readonly region: string;
    readonly parameterPrefix: string;
    /** File names, space-separated (lib/nodes/masterScripts.ts `masterScriptNames`). */
    readonly names: string;
  };
  /** Where the node reads its PKI (masters) and join token (all) at boot. Required. */
  readonly store: Omit<SecretStoreNames, "kmsKeyArn">;
  /** Retry and path settings of the store calls (tests shorten them); defaults in secretFetch.ts. */
  readonly secretFetch?: Omit<SecretFetchOptions, "store" | "tokenPlaceholder">;
  /** Attempts of `kubeadm init` / `join`, with `kubeadm reset -f` between; @default 3 */
  readonly kubeadmAttempts?: number;
  /** Attempts of each apt step and AWS call; @default 5 */
  readonly networkAttempts?: number;
  readonly hooks?: Partial<Record<BootstrapHook, string>>;
}

const versionPattern = /^\d+\.\d+\.\d+$/;
const hostPattern = /^[A-Za-z0-9.-]+$/;
const repositoryPattern = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)*$/;
const parameterPattern = /^\/[A-Za-z0-9_.\-/]+$/;

function shellConstant(name: string, value: string | number): string {
  const text = String(value);
  if (text.includes("'")) throw new Error(`${name} must not contain a single quote: ${text}`);
  return `readonly ${name}='${text}'`;
}

function wholeNumber(name: string, value: number, minimum = 0): number {
  if (!Number.isInteger(value) || value < minimum) {
    throw new Error(`${name} must be an integer of at least ${minimum}, not ${value}`);
  }
  return value;
}

const hookFunctionNames: Record<BootstrapHook, string> = {
  fetchSecrets: "hook_fetch_secrets",
  beforeControlPlaneJoin: "hook_before_control_plane_join",
  afterKubeadm: "hook_after_kubeadm",
};

function hookFunctions(hooks: BootstrapScriptOptions["hooks"] = {}): string {
  return Object.entries(hookFunctionNames)
    .map(([hook, name]) => {
      const body = hooks[hook as BootstrapHook]?.trim() || ":";
      return `${name}() {\n${body.replace(/^/gm, "  ")}\n}\n`;
    })
    .join("\n");
}

// Secret store call sites (lib/nodes/secretFetch.ts): masters need the shared PKI
// before kubeadm and the API checks; every node needs the current join token.
// Masters keep a valid join token in the store (lib/nodes/tokenRotation.ts).
const secretStoreFunctions = String.raw`fetch_node_secrets() {
  ensure_aws_cli || exit 1
  if [ "$ROLE" != worker ]; then
    fetch_control_plane_pki || exit 1
  fi
  fetch_join_token || exit 1
}

enable_token_rotation() {
  if [ "$ROLE" != worker ]; then
    systemctl daemon-reload
    systemctl enable --now "$TOKEN_ROTATION_UNIT.timer"
  fi
}
`;

// AWS cloud integration (issue 13): the provider ID in the kubelet patch, and on
// masters etcdctl, the AWS CLI and their lifecycle scripts from SSM.
const cloudFunctions = String.raw`set_provider_id() {
  local id
  id="aws:///$(imds placement/availability-zone)/$INSTANCE_ID"
  [[ "$id" =~ ^aws:///[a-z0-9-]+/i-[0-9a-f]+$ ]] || fail "bad provider ID: $id"
  sed -i "s|$PROVIDER_ID_PLACEHOLDER|$id|g" "$ROOT$KUBELET_PATCH"
}

fetch_master_file() {
  aws ssm get-parameter --region "$MASTER_SCRIPTS_REGION" --name "$MASTER_PARAMETERS/$1" \
    --query Parameter.Value --output text >"$2"
}

install_master_tools() {
  command -v etcdctl >/dev/null 2>&1 || retry "$APT_ATTEMPTS" 10 apt-get install -y -q etcd-client ||
    log "no etcdctl"
  export PATH="$PATH:/snap/bin"
  local name path mode
  for name in $MASTER_FILES; do
    path=$ROOT/usr/local/sbin/$name mode=0700
    [[ "$name" != *.service ]] || path=$ROOT/etc/systemd/system/$name mode=0644
    retry "$AWS_ATTEMPTS" 10 fetch_master_file "$name" "$path" || log "could not fetch $name"
    chmod "$mode" "$path"
  done
}

# Members of terminated masters go first (lib/nodes/etcdCleanup.ts).
clean_up_etcd() {
  "$ROOT$ETCD_CLEANUP" "$NODE_IP" || log "etcd clean-up failed"
}
`;

/**
 * The built-in steps run first in their hooks, other features' bodies after them:
 * the secret store's fetch (issue 12) with the cloud integration's provider ID and
 * master tools (issue 13), the etcd clean-up before a control-plane join (issue 13),
 * the token rotation once kubeadm is done (issue 12).
 */
function builtInHooks(
  hooks: BootstrapScriptOptions["hooks"] = {},
): Partial<Record<BootstrapHook, string>> {
  const joined = (...steps: (string | undefined)[]) =>
    steps
      .map((step) => step?.trim())
      .filter(Boolean)
      .join("\n");
  return {
    fetchSecrets: joined(
      "fetch_node_secrets",
      "set_provider_id",
      '[ "$ROLE" = worker ] || install_master_tools',
      hooks.fetchSecrets,
    ),
    beforeControlPlaneJoin: joined("clean_up_etcd", hooks.beforeControlPlaneJoin),
    afterKubeadm: joined("enable_token_rotation", hooks.afterKubeadm),
  };
}

/**
 * Renders the script; its only argument at run time is the role.
 * @throws if a value would not be safe to embed, or the init role has no marker
 */
export function renderBootstrapScript(options: BootstrapScriptOptions): string {
  if (!versionPattern.test(options.kubernetesVersion)) {
    throw new Error(`kubernetesVersion ${JSON.stringify(options.kubernetesVersion)} is not x.y.z`);
  }
  if (!hostPattern.test(options.apiEndpointHost)) {
    throw new Error(
      `API endpoint host ${JSON.stringify(options.apiEndpointHost)} is not a DNS name`,
    );
  }
  const imageRepository = options.imageRepository ?? defaultImageRepository;
  if (!repositoryPattern.test(imageRepository)) {
    throw new Error(
      `image repository ${JSON.stringify(imageRepository)} is not host[:port][/path]`,
    );
  }
  const marker = options.initMarkerParameter ?? "";
  if (marker !== "" && !parameterPattern.test(marker)) {
    throw new Error(`init marker parameter ${JSON.stringify(marker)} is not an SSM path`);
  }
  const minor = options.kubernetesVersion.split(".").slice(0, 2).join(".");
  const apiWaitSeconds = wholeNumber("apiWaitSeconds", options.apiWaitSeconds ?? 2400);
  const probeSeconds = wholeNumber(
    "existingClusterProbeSeconds",
    options.existingClusterProbeSeconds ?? 90,
    3 * pollSeconds,
  );
  const header = [
    "#!/bin/bash",
    "# Joins this instance to the cluster in the role given as $1 (init, control-plane or worker).",
    "# Rendered by lib/nodes/bootstrapScript.ts; cloud-init runs it once per instance and logs",
    "# its output to /var/log/cloud-init-output.log.",
    "set -euo pipefail",
    "shopt -s inherit_errexit",
    "umask 077",
    "",
    shellConstant("KUBERNETES_VERSION", options.kubernetesVersion),
    shellConstant("KUBERNETES_MINOR", `v${minor}`),
    shellConstant("CONTAINERD_VERSION", containerdVersion),
    shellConstant("IMAGE_REPOSITORY", imageRepository),
    shellConstant("API_ENDPOINT", `${options.apiEndpointHost}:${apiServerPort}`),
    shellConstant("CLUSTER_CA", options.clusterCaPath),
    shellConstant("CONFIG_DIR", kubeadmConfigDirectory),
    shellConstant("INIT_CONFIG", initConfigFile),
    shellConstant("JOIN_CONFIG", joinConfigFile),
    shellConstant("NODE_NAME_PLACEHOLDER", nodeNamePlaceholder),
    shellConstant("NODE_IP_PLACEHOLDER", nodeIpPlaceholder),
    shellConstant("INIT_MARKER_PARAMETER", marker),
    shellConstant("INIT_MARKER_PENDING", initMarkerPending),
    shellConstant("INIT_MARKER_DONE", initMarkerDone),
    shellConstant(
      "JOIN_DELAY_SECONDS",
      wholeNumber("joinDelaySeconds", options.joinDelaySeconds ?? 0),
    ),
    shellConstant("POLL_SECONDS", pollSeconds),
    shellConstant("API_WAIT_SECONDS", apiWaitSeconds),
    shellConstant("API_WAIT_ATTEMPTS", Math.max(1, Math.ceil(apiWaitSeconds / pollSeconds))),
    shellConstant("PROBE_ATTEMPTS", Math.ceil(probeSeconds / pollSeconds)),
    shellConstant(
      "KUBEADM_ATTEMPTS",
      wholeNumber("kubeadmAttempts", options.kubeadmAttempts ?? 3, 1),
    ),
    shellConstant("KUBEADM_RETRY_SECONDS", 30),
    shellConstant("APT_ATTEMPTS", wholeNumber("networkAttempts", options.networkAttempts ?? 5, 1)),
    shellConstant("AWS_ATTEMPTS", wholeNumber("networkAttempts", options.networkAttempts ?? 5, 1)),
    // AWS cloud integration: the node's provider ID (set_provider_id: the ID the cloud
    // controller and cluster-autoscaler know the node by); on masters etcdctl, the AWS CLI
    // and their lifecycle scripts from SSM (install_master_tools, lib/nodes/masterScripts.ts).
    shellConstant("PROVIDER_ID_PLACEHOLDER", providerIdPlaceholder),
    shellConstant("KUBELET_PATCH", `${kubeadmPatchesDirectory}/${kubeletPatchFile}`),
    shellConstant("ETCD_CLEANUP", etcdCleanupScriptPath),
    shellConstant("MASTER_SCRIPTS_REGION", options.masterScripts?.region ?? ""),
    shellConstant("MASTER_PARAMETERS", options.masterScripts?.parameterPrefix ?? ""),
    shellConstant("MASTER_FILES", options.masterScripts?.names ?? ""),
    shellConstant("TOKEN_ROTATION_UNIT", tokenRotationUnit),
  ];
  const secretFetch = renderSecretFetch({
    ...options.secretFetch,
    store: options.store,
    tokenPlaceholder: bootstrapTokenPlaceholder,
  });
  const argumentCheck = String.raw`
if [ "$#" -ne 1 ]; then
  echo "usage: $0 init|control-plane|worker" >&2
  exit 2
fi
readonly ROLE="$1"
case "$ROLE" in
  init | control-plane | worker) ;;
  *)
    echo "unknown role: $ROLE (expected init, control-plane or worker)" >&2
    exit 2
    ;;
esac
if [ "$ROLE" = init ] && [ -z "$INIT_MARKER_PARAMETER" ]; then
  echo "the init role needs INIT_MARKER_PARAMETER" >&2
  exit 2
fi
`;
  return [
    header.join("\n"),
    argumentCheck,
    commonFunctions,
    hostFunctions,
    kubeadmFunctions,
    secretFetch,
    secretStoreFunctions,
    cloudFunctions,
    "# Hook points for other features; see BootstrapHook in lib/nodes/bootstrapScript.ts.",
    hookFunctions(builtInHooks(options.hooks)),
    "trap on_exit EXIT",
    "PHASE=start",
    "main",
    "",
  ].join("\n");
}
