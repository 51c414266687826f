/**
 * The cluster phases of the node bootstrap script: the probes of the API
 * endpoint, the cluster's init marker, the init-or-join decision, kubeadm with
 * bounded retries, and `main`. Shell text only, assembled by
 * ../bootstrapScript.ts; it never uses `${`, so nothing is interpolated.
 *
 * The decision: only the `init` role (the first master by AZ slot) may ever run
 * `kubeadm init`, and only while the cluster's marker (an SSM parameter the
 * program declares and the init master sets after a successful init) says the
 * cluster was never initialised, and the endpoint shows nothing listening
 * (connection refused or timed out) for the whole probe window. Any other
 * answer (the marker unreadable, something answering without cluster-info, a
 * DNS or TLS error) never leads to init.
 */

export const kubeadmFunctions = String.raw`readonly CLUSTER_INFO_PATH='/api/v1/namespaces/kube-public/configmaps/cluster-info'

# Fills in what only the instance knows and prints the path of the result.
# The join token comes from the store (fill_join_token), never from user data.
render_config() {
  install -d -m 0700 "$RUN_DIR"
  sed -e "s/$NODE_NAME_PLACEHOLDER/$NODE_NAME/g" -e "s/$NODE_IP_PLACEHOLDER/$NODE_IP/g" \
    "$ROOT$CONFIG_DIR/$1" | (umask 077 && fill_join_token >"$RUN_DIR/$1")
  chmod 0600 "$RUN_DIR/$1"
  echo "$RUN_DIR/$1"
}

# published: kubeadm init's bootstrap-token phase ran (cluster-info is readable
# anonymously, trusting only the cluster CA); listening: something answers without it;
# absent: nothing listening (refused, or timed out behind the load balancer);
# unreachable: anything else (DNS, TLS, a server with another CA).
cluster_info_state() {
  local code status=0
  code=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert "$ROOT$CLUSTER_CA" \
    "https://$API_ENDPOINT$CLUSTER_INFO_PATH" 2>/dev/null) || status=$?
  case "$status" in
    0) if [ "$code" = 200 ]; then echo published; else echo listening; fi ;;
    7 | 28) echo absent ;;
    *) echo unreachable ;;
  esac
}

api_ready() {
  curl -fsS -o /dev/null --max-time 10 --cacert "$ROOT$CLUSTER_CA" \
    "https://$API_ENDPOINT/readyz" 2>/dev/null
}

# Waits until the cluster is one a node can join: cluster-info published and /readyz.
wait_for_cluster() {
  local attempt
  for ((attempt = 1; attempt <= API_WAIT_ATTEMPTS; attempt++)); do
    if [ "$(cluster_info_state)" = published ] && api_ready; then
      return 0
    fi
    sleep "$POLL_SECONDS"
  done
  return 1
}

read_init_marker() {
  aws ssm get-parameter --name "$INIT_MARKER_PARAMETER" --query Parameter.Value --output text
}

write_init_marker() {
  aws ssm put-parameter --name "$INIT_MARKER_PARAMETER" --type String --overwrite \
    --value "$INIT_MARKER_DONE" >/dev/null
}

# Prints init or join.
decide_init_or_join() {
  if [ "$ROLE" != init ]; then
    echo join
    return
  fi
  local marker
  marker=$(retry "$AWS_ATTEMPTS" 10 read_init_marker) ||
    fail "cannot read $INIT_MARKER_PARAMETER; never initialising without it"
  case "$marker" in
    "$INIT_MARKER_DONE")
      log "$INIT_MARKER_PARAMETER says the cluster was initialised: joining it"
      echo join
      return
      ;;
    "$INIT_MARKER_PENDING") ;;
    *) fail "$INIT_MARKER_PARAMETER has an unexpected value: $marker" ;;
  esac
  local attempt state absent=0
  for ((attempt = 1; attempt <= PROBE_ATTEMPTS; attempt++)); do
    state=$(cluster_info_state)
    case "$state" in
      published)
        log "cluster-info is published at $API_ENDPOINT: joining the running cluster"
        echo join
        return
        ;;
      listening) fail "something answers at $API_ENDPOINT without cluster-info; not initialising" ;;
      absent) absent=$((absent + 1)) ;;
      *) absent=0 ;;
    esac
    sleep "$POLL_SECONDS"
  done
  [ "$absent" -ge 3 ] ||
    fail "$API_ENDPOINT was unreachable (not merely silent) at the end of the probe; not initialising"
  echo init
}

backup_pki() {
  rm -rf "$RUN_DIR/pki"
  if [ -d "$KUBE_DIR/pki" ]; then
    cp -a "$KUBE_DIR/pki" "$RUN_DIR/pki"
  fi
}

# kubeadm reset deletes the certificate directory, pre-placed CAs included.
restore_pki() {
  if [ -d "$RUN_DIR/pki" ]; then
    rm -rf "$KUBE_DIR/pki"
    install -d -m 0755 "$KUBE_DIR"
    cp -a "$RUN_DIR/pki" "$KUBE_DIR/pki"
  fi
}

# kubeadm <init|join> <args...>, up to KUBEADM_ATTEMPTS times, undoing a failed
# attempt with kubeadm reset (which also removes a half-added etcd member).
run_kubeadm_with_retries() {
  local attempt
  backup_pki
  for ((attempt = 1; attempt <= KUBEADM_ATTEMPTS; attempt++)); do
    if kubeadm "$@"; then
      return 0
    fi
    log "kubeadm $1 failed (attempt $attempt of $KUBEADM_ATTEMPTS)"
    if [ "$attempt" -lt "$KUBEADM_ATTEMPTS" ]; then
      kubeadm reset -f >&2 || log "kubeadm reset failed; trying again regardless"
      restore_pki
      sleep "$KUBEADM_RETRY_SECONDS"
    fi
  done
  return 1
}

init_cluster() {
  local config
  config=$(render_config "$INIT_CONFIG")
  # --skip-token-print: cloud-final copies this output to the EC2 console log.
  run_kubeadm_with_retries init --config "$config" --skip-token-print ||
    fail "kubeadm init failed $KUBEADM_ATTEMPTS times"
  if ! retry "$AWS_ATTEMPTS" 10 write_init_marker; then
    # The cluster runs; a replacement of this master still joins while cluster-info answers.
    log "ERROR: could not set $INIT_MARKER_PARAMETER to $INIT_MARKER_DONE; set it by hand"
  fi
}

join_cluster() {
  wait_for_cluster ||
    fail "no joinable cluster at $API_ENDPOINT within $API_WAIT_SECONDS seconds"
  local config
  config=$(render_config "$JOIN_CONFIG")
  if [ "$ROLE" != worker ]; then
    sleep "$JOIN_DELAY_SECONDS"
    hook_before_control_plane_join
  fi
  run_kubeadm_with_retries join --config "$config" ||
    fail "kubeadm join failed $KUBEADM_ATTEMPTS times"
  # A master that joined proves the cluster was initialised; this also sets the marker of
  # a cluster deployed before the marker existed, once any master is replaced.
  if [ "$ROLE" != worker ] && [ -n "$INIT_MARKER_PARAMETER" ]; then
    retry "$AWS_ATTEMPTS" 10 write_init_marker || log "could not set $INIT_MARKER_PARAMETER"
  fi
}

main() {
  if [ -f "$KUBE_DIR/kubelet.conf" ]; then
    log "this node has already joined the cluster; nothing to do"
    return
  fi
  PHASE=prepare_host
  prepare_host
  PHASE=identity
  discover_identity
  PHASE=install_packages
  install_packages
  PHASE=configure_containerd
  configure_containerd
  PHASE=fetch_secrets
  hook_fetch_secrets
  PHASE=decide_init_or_join
  local decision
  decision=$(decide_init_or_join)
  PHASE="kubeadm_$decision"
  case "$decision" in
    init) init_cluster ;;
    join) join_cluster ;;
  esac
  PHASE=after_kubeadm
  hook_after_kubeadm
  PHASE=finished
  log "done"
}
`;
