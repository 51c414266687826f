/**
 * The script a master runs before it joins the control plane: it removes etcd
 * members whose master instance is terminated or gone, so a replaced master
 * does not leave a dead member behind that counts against quorum. One member
 * per pass, re-reading the membership each time; only while the members that
 * answer keep quorum of the current membership (etcd cannot commit the removal
 * otherwise); never the last member. A member is dead when no master instance
 * of this cluster in a live state (pending, running, stopping, stopped) has its
 * peer address, or when the address is this instance's own (a member left by an
 * earlier instance with the same address, or a half-finished join of this one).
 * Anything unexpected (no etcdctl, etcd unreachable) leaves etcd alone: the
 * join then goes ahead as before. Pure: no Pulumi imports.
 */
import { displayName } from "../naming";

/** Where cloud-init writes the script; the bootstrap runs it with this node's private IP. */
export const etcdCleanupScriptPath = "/usr/local/sbin/etcd-dead-member-cleanup";

/** Passes, each removing at most one member: more than the 6 masters a cluster can have. */
export const etcdCleanupMaxPasses = 7;

export interface EtcdCleanupOptions {
  readonly clusterName: string;
  readonly region: string;
  /** Holds the etcd CA (`ca.crt`, `ca.key`) pre-placed on every master. */
  readonly etcdPkiDirectory: string;
}

const safe = /^[A-Za-z0-9.*/_:-]+$/;

function constant(name: string, value: string): string {
  if (!safe.test(value)) throw new Error(`${name} ${JSON.stringify(value)} is not safe in shell`);
  return `readonly ${name}='${value}'`;
}

/** The script; its only argument is this node's private IPv4 address. */
export function renderEtcdCleanupScript(options: EtcdCleanupOptions): string {
  const header = [
    "#!/bin/bash",
    "# Removes etcd members whose master instance is gone (lib/nodes/etcdCleanup.ts).",
    "set -euo pipefail",
    constant("REGION", options.region),
    constant("CLUSTER_TAG", `kubernetes.io/cluster/${options.clusterName}`),
    constant("MASTER_NAMES", `${displayName(options.clusterName, "master")}-*`),
    constant("ETCD_PKI", options.etcdPkiDirectory),
    `readonly MAX_PASSES=${etcdCleanupMaxPasses}`,
  ];
  return `${header.join("\n")}\n${body}`;
}

// The body never uses a dollar-brace, so it is a plain template literal with nothing interpolated.
const body = String.raw`[ "$#" -eq 1 ] || { echo "usage: $0 <private IP of this node>" >&2; exit 2; }
readonly SELF_IP="$1"
log() { echo "etcd-cleanup: $*" >&2; }
for tool in etcdctl aws kubeadm; do
  command -v "$tool" >/dev/null 2>&1 || { log "no $tool; leaving etcd alone"; exit 0; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
install -d -m 0700 "$work/etcd"
cp "$ETCD_PKI/ca.crt" "$ETCD_PKI/ca.key" "$work/etcd/"
kubeadm init phase certs etcd-healthcheck-client --cert-dir "$work" >/dev/null
etcd() {
  etcdctl --cacert="$work/etcd/ca.crt" --cert="$work/etcd/healthcheck-client.crt" \
    --key="$work/etcd/healthcheck-client.key" --dial-timeout=5s --command-timeout=15s "$@"
}
for ((pass = 1; pass <= MAX_PASSES; pass++)); do
  alive=" $(aws ec2 describe-instances --region "$REGION" --output text \
    --filters "Name=tag:$CLUSTER_TAG,Values=owned" "Name=tag:Name,Values=$MASTER_NAMES" \
    "Name=instance-state-name,Values=pending,running,stopping,stopped" \
    --query 'Reservations[].Instances[].PrivateIpAddress' | tr -s ' \t\n' '   ') "
  endpoints=""
  for ip in $alive; do
    [ "$ip" != "$SELF_IP" ] || continue
    [ -z "$endpoints" ] || endpoints="$endpoints,"
    endpoints="$endpoints""https://$ip:2379"
  done
  [ -n "$endpoints" ] || { log "no other master is up; nothing to clean"; exit 0; }
  members=$(etcd --endpoints="$endpoints" member list -w simple) ||
    { log "etcd does not answer at $endpoints; leaving it alone"; exit 0; }
  total=0 healthy=0 dead=""
  while IFS=', ' read -r id _ name peer client _; do
    [ -n "$id" ] || continue
    total=$((total + 1))
    ip=$(echo "$peer" | sed -E 's#^[a-z]+://##; s#:[0-9]+$##')
    if [ "$ip" != "$SELF_IP" ] && [[ "$alive" == *" $ip "* ]]; then
      if [ -n "$client" ] && etcd --endpoints="$client" endpoint health >/dev/null 2>&1; then
        healthy=$((healthy + 1))
      fi
    elif [ -z "$dead" ]; then
      dead="$id $name $ip"
    fi
  done <<<"$members"
  [ -n "$dead" ] || { log "every member's master is up"; exit 0; }
  [ "$total" -gt 1 ] || { log "keeping the last member ($dead)"; exit 0; }
  if [ "$healthy" -lt $((total / 2 + 1)) ]; then
    log "only $healthy of $total members healthy, short of quorum; removing nothing"
    exit 0
  fi
  log "removing member $dead (its master instance is gone; $healthy of $total healthy)"
  read -r dead_id _ <<<"$dead"
  etcd --endpoints="$endpoints" member remove "$dead_id"
done
`;
