/**
 * The node bootstrap script cloud-init runs once per instance: kernel
 * prerequisites, containerd with the systemd cgroup driver, kubelet/kubeadm/
 * kubectl pinned to the cluster's version, then `kubeadm init` or `join`.
 * Rendered as a fixed body behind a header of single-quoted constants, so no
 * config value is ever parsed by the shell. Pure: no Pulumi imports.
 */
import { apiServerPort } from "../ports";
import {
  kubeadmPatchesDirectory,
  kubeletPatchFile,
  bootstrapTokenPlaceholder,
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

/** init: the first master; control-plane: the other masters; worker: every worker group. */
export type BootstrapRole = "init" | "control-plane" | "worker";

export interface BootstrapScriptOptions {
  /** e.g. `1.34.2`; apt installs `1.34.2-*` from the pkgs.k8s.io repo of `v1.34`. */
  readonly kubernetesVersion: string;
  /** The API load balancer's DNS name. */
  readonly apiEndpointHost: string;
  /** The cluster CA certificate on the instance; the script verifies the API with it. */
  readonly clusterCaPath: string;
  /**
   * Seconds a joining master waits after the API answers. etcd adds members one
   * at a time; staggering the masters keeps their joins from racing. Default 0.
   */
  readonly joinDelaySeconds?: number;
  /** How long a joining node waits for the API before giving up; default 2400 (40 minutes). */
  readonly apiWaitSeconds?: number;
  /** How long the first master looks for an existing cluster before `kubeadm init`; default 90. */
  readonly existingClusterProbeSeconds?: number;
  /**
   * Masters only: where their AWS lifecycle scripts are fetched from
   * (lib/nodes/masterScripts.ts). Default: none (workers).
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
}

const versionPattern = /^\d+\.\d+\.\d+$/;
const hostPattern = /^[A-Za-z0-9.-]+$/;

function shellConstant(name: string, value: string | number): string {
  const text = String(value);
  if (text.includes("'")) throw new Error(`${name} must not contain a single quote: ${text}`);
  return `readonly ${name}='${text}'`;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative integer of seconds, not ${value}`);
  }
  return value;
}

/**
 * Renders the script; its only argument at run time is the role.
 * @throws if the version or host would not be safe to embed
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
  const minor = options.kubernetesVersion.split(".").slice(0, 2).join(".");
  const header = [
    "#!/bin/bash",
    "# Joins this instance to the cluster in the role given as $1 (init, control-plane or worker).",
    "# Rendered by lib/bootstrapScript.ts; cloud-init runs it once per instance and logs its",
    "# output to /var/log/cloud-init-output.log.",
    "set -euo pipefail",
    "",
    shellConstant("KUBERNETES_VERSION", options.kubernetesVersion),
    shellConstant("KUBERNETES_MINOR", `v${minor}`),
    shellConstant("API_ENDPOINT", `${options.apiEndpointHost}:${apiServerPort}`),
    shellConstant(
      "JOIN_DELAY_SECONDS",
      nonNegativeInteger("joinDelaySeconds", options.joinDelaySeconds ?? 0),
    ),
    shellConstant(
      "API_WAIT_SECONDS",
      nonNegativeInteger("apiWaitSeconds", options.apiWaitSeconds ?? 2400),
    ),
    shellConstant(
      "EXISTING_CLUSTER_PROBE_SECONDS",
      nonNegativeInteger("existingClusterProbeSeconds", options.existingClusterProbeSeconds ?? 90),
    ),
    shellConstant("CONFIG_DIR", kubeadmConfigDirectory),
    shellConstant("CLUSTER_CA", options.clusterCaPath),
    shellConstant("NODE_NAME_PLACEHOLDER", nodeNamePlaceholder),
    shellConstant("NODE_IP_PLACEHOLDER", nodeIpPlaceholder),
    shellConstant("INIT_CONFIG", initConfigFile),
    shellConstant("JOIN_CONFIG", joinConfigFile),
    // AWS cloud integration: the node's provider ID (set_provider_id: the ID the cloud
    // controller and cluster-autoscaler know the node by); on masters etcdctl, the AWS CLI
    // and their lifecycle scripts from SSM (install_master_tools, lib/nodes/masterScripts.ts).
    shellConstant("PROVIDER_ID_PLACEHOLDER", providerIdPlaceholder),
    shellConstant("KUBELET_PATCH", `${kubeadmPatchesDirectory}/${kubeletPatchFile}`),
    shellConstant("ETCD_CLEANUP", etcdCleanupScriptPath),
    shellConstant("REGION", options.masterScripts?.region ?? ""),
    shellConstant("MASTER_PARAMETERS", options.masterScripts?.parameterPrefix ?? ""),
    shellConstant("MASTER_FILES", options.masterScripts?.names ?? ""),
    shellConstant("TOKEN_ROTATION_UNIT", tokenRotationUnit),
  ];
  const secretFetch = renderSecretFetch({
    ...options.secretFetch,
    store: options.store,
    tokenPlaceholder: bootstrapTokenPlaceholder,
  });
  return `${header.join("\n")}\n${secretFetch}\n${scriptBody}`;
}

// The body never uses `${`, so it is a plain template literal with nothing interpolated.
const scriptBody = String.raw`readonly RUN_DIR='/run/kubeadm'
readonly KEYRING='/etc/apt/keyrings/kubernetes-apt-keyring.gpg'
readonly IMDS='http://169.254.169.254/latest'

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

log() {
  echo "kubeadm-bootstrap ($ROLE): $*" >&2
}

fail() {
  log "ERROR: $*"
  exit 1
}

# IMDSv2 only: the launch template requires a session token.
imds() {
  local token
  token=$(curl -fsS --retry 5 --retry-connrefused -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/api/token")
  curl -fsS --retry 5 --retry-connrefused \
    -H "X-aws-ec2-metadata-token: $token" "$IMDS/meta-data/$1"
}

prepare_kernel() {
  modprobe overlay
  modprobe br_netfilter
  sysctl --system >/dev/null
}

install_packages() {
  # A pre-baked image (needed where nodes have no route to pkgs.k8s.io) skips the download.
  if command -v kubeadm >/dev/null 2>&1 && command -v containerd >/dev/null 2>&1 &&
    [ "$(kubeadm version -o short)" = "v$KUBERNETES_VERSION" ]; then
    log "kubeadm v$KUBERNETES_VERSION is already installed"
    return
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q apt-transport-https ca-certificates curl gpg containerd
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL --retry 5 "https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/Release.key" |
    gpg --dearmor --yes -o "$KEYRING"
  echo "deb [signed-by=$KEYRING] https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/ /" \
    >/etc/apt/sources.list.d/kubernetes.list
  apt-get update -q
  apt-get install -y -q "kubelet=$KUBERNETES_VERSION-*" "kubeadm=$KUBERNETES_VERSION-*" \
    "kubectl=$KUBERNETES_VERSION-*"
  # Upgrades go through kubeadm upgrade, never an unattended apt run.
  apt-mark hold kubelet kubeadm kubectl containerd
}

configure_containerd() {
  install -d -m 0755 /etc/containerd
  containerd config default >/etc/containerd/config.toml
  # kubelet and containerd must agree on the cgroup driver; kubeadm sets systemd.
  sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' /etc/containerd/config.toml
  grep -q 'SystemdCgroup = true' /etc/containerd/config.toml ||
    fail "could not enable SystemdCgroup in /etc/containerd/config.toml"
  systemctl restart containerd
  systemctl enable kubelet
}

# Fills in what only the instance knows and prints the path of the result.
# The join token comes from the store (fill_join_token), never from user data.
render_config() {
  install -d -m 0700 "$RUN_DIR"
  sed -e "s/$NODE_NAME_PLACEHOLDER/$NODE_NAME/g" -e "s/$NODE_IP_PLACEHOLDER/$NODE_IP/g" \
    "$CONFIG_DIR/$1" | (umask 077 && fill_join_token >"$RUN_DIR/$1")
  chmod 0600 "$RUN_DIR/$1"
  echo "$RUN_DIR/$1"
}

set_provider_id() {
  local id
  id="aws:///$(imds placement/availability-zone)/$(imds instance-id)"
  [[ "$id" =~ ^aws:///[a-z0-9-]+/i-[0-9a-f]+$ ]] || fail "bad provider ID: $id"
  sed -i "s|$PROVIDER_ID_PLACEHOLDER|$id|g" "$KUBELET_PATCH"
}

install_master_tools() {
  command -v etcdctl >/dev/null 2>&1 || apt-get install -y -q etcd-client || log "no etcdctl"
  command -v aws >/dev/null 2>&1 || snap install aws-cli --classic || log "no AWS CLI"
  export PATH="$PATH:/snap/bin"
  local name path mode
  for name in $MASTER_FILES; do
    path=/usr/local/sbin/$name mode=0700
    [[ "$name" != *.service ]] || path=/etc/systemd/system/$name mode=0644
    aws ssm get-parameter --region "$REGION" --name "$MASTER_PARAMETERS/$name" \
      --query Parameter.Value --output text >"$path" || log "could not fetch $name"
    chmod "$mode" "$path"
  done
}

# Secret store call sites (lib/nodes/secretFetch.ts): masters need the shared PKI
# before kubeadm and the API checks; every node needs the current join token.
fetch_node_secrets() {
  ensure_aws_cli || exit 1
  if [ "$ROLE" != worker ]; then
    fetch_control_plane_pki || exit 1
  fi
  fetch_join_token || exit 1
}

# Masters keep a valid join token in the store (lib/nodes/tokenRotation.ts).
enable_token_rotation() {
  systemctl daemon-reload
  systemctl enable --now "$TOKEN_ROTATION_UNIT.timer"
}

api_ready() {
  curl -fsS --max-time 5 --cacert "$CLUSTER_CA" "https://$API_ENDPOINT/readyz" >/dev/null 2>&1
}

# Waits up to $1 seconds for the API to answer /readyz through the load balancer.
wait_for_api() {
  local deadline=$((SECONDS + $1))
  until api_ready; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      return 1
    fi
    sleep 10
  done
}

join_control_plane() {
  wait_for_api "$API_WAIT_SECONDS" ||
    fail "https://$API_ENDPOINT/readyz did not answer within $API_WAIT_SECONDS seconds"
  sleep "$JOIN_DELAY_SECONDS"
  # AWS: members of terminated masters go first (lib/nodes/etcdCleanup.ts)
  "$ETCD_CLEANUP" "$NODE_IP" || log "etcd clean-up failed"
  local config
  config=$(render_config "$JOIN_CONFIG")
  # No retry: a half-joined etcd member must be removed by hand before another attempt.
  kubeadm join --config "$config"
}

init_or_rejoin() {
  # A replaced first master must not start a second cluster: if the API already
  # answers through the load balancer, the cluster exists and this master joins it.
  if wait_for_api "$EXISTING_CLUSTER_PROBE_SECONDS"; then
    log "https://$API_ENDPOINT/readyz answers: joining the existing control plane"
    join_control_plane
    return
  fi
  log "no API answers at $API_ENDPOINT: initialising the cluster"
  local config
  config=$(render_config "$INIT_CONFIG")
  kubeadm init --config "$config"
}

join_worker() {
  wait_for_api "$API_WAIT_SECONDS" ||
    fail "https://$API_ENDPOINT/readyz did not answer within $API_WAIT_SECONDS seconds"
  local config attempt
  config=$(render_config "$JOIN_CONFIG")
  for attempt in 1 2 3; do
    if kubeadm join --config "$config"; then
      return
    fi
    log "join attempt $attempt failed; resetting before the next one"
    kubeadm reset --force
    sleep 30
  done
  fail "could not join the cluster after 3 attempts"
}

main() {
  if [ -f /etc/kubernetes/kubelet.conf ]; then
    log "this node has already joined the cluster; nothing to do"
    return
  fi
  prepare_kernel
  install_packages
  configure_containerd
  NODE_NAME=$(imds local-hostname)
  NODE_IP=$(imds local-ipv4)
  [[ "$NODE_NAME" =~ ^[a-z0-9.-]+$ ]] || fail "unexpected EC2 private DNS name: $NODE_NAME"
  [[ "$NODE_IP" =~ ^[0-9.]+$ ]] || fail "unexpected private IPv4 address: $NODE_IP"
  readonly NODE_NAME NODE_IP
  log "node $NODE_NAME ($NODE_IP)"
  fetch_node_secrets
  set_provider_id
  [ "$ROLE" = worker ] || install_master_tools
  case "$ROLE" in
    init) init_or_rejoin ;;
    control-plane) join_control_plane ;;
    worker) join_worker ;;
  esac
  if [ "$ROLE" != worker ]; then
    enable_token_rotation
  fi
  log "done"
}

main
`;
