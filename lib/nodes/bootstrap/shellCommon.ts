/**
 * The shared part of the node bootstrap script: logging, bounded retries, the
 * IMDSv2 client, the node's identity and what a node does when its bootstrap
 * fails for good. Shell text only (assembled by ../bootstrapScript.ts); it never
 * uses `${`, so it is a plain template literal with nothing interpolated.
 */

export const commonFunctions = String.raw`# Test seams: test/support/bootstrapHarness.ts runs this script in a scratch root against a
# local metadata stub. On a node neither variable is set.
ROOT=$(printenv BOOTSTRAP_ROOT || true)
IMDS=$(printenv BOOTSTRAP_IMDS_ENDPOINT || echo 'http://169.254.169.254')
readonly ROOT IMDS
readonly RUN_DIR="$ROOT/run/kubeadm"
readonly KUBE_DIR="$ROOT/etc/kubernetes"
PHASE=arguments
INSTANCE_ID=""

log() {
  echo "kubeadm-bootstrap ($ROLE, $PHASE): $*" >&2
}

fail() {
  log "ERROR: $*"
  exit 1
}

# retry <attempts> <delay seconds> <command...>: runs one command until it succeeds.
# The command runs as a condition (errexit is off inside it), so pass single commands
# or functions that chain their steps with &&.
retry() {
  local attempts="$1" delay="$2" attempt=1
  shift 2
  until "$@"; do
    if [ "$attempt" -ge "$attempts" ]; then
      log "$1 failed $attempts times; giving up"
      return 1
    fi
    log "$1 failed (attempt $attempt of $attempts); retrying in $delay s"
    attempt=$((attempt + 1))
    sleep "$delay"
  done
}

# IMDSv2 only (the launch template requires a session token). Bounded: a metadata
# service that hangs must not hang the boot.
imds() {
  local token
  token=$(curl -fsS --max-time 5 --retry 5 --retry-connrefused -X PUT \
    -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "$IMDS/latest/api/token")
  curl -fsS --max-time 5 --retry 5 --retry-connrefused \
    -H "X-aws-ec2-metadata-token: $token" "$IMDS/latest/meta-data/$1"
}

# The EC2 private DNS name of an IP-named instance (the launch template pins IP names),
# which is what the AWS cloud controller looks nodes up by. Derived rather than read from
# local-hostname, which custom DHCP options turn into other domains, several words or
# upper case.
private_dns_name() {
  local label
  label="ip-$(tr . - <<<"$1")"
  if [ "$2" = us-east-1 ]; then
    echo "$label.ec2.internal"
  else
    echo "$label.$2.compute.internal"
  fi
}

discover_identity() {
  NODE_IP=$(imds local-ipv4)
  REGION=$(imds placement/region)
  INSTANCE_ID=$(imds instance-id)
  [[ "$NODE_IP" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}$ ]] || fail "unexpected private IPv4 address: $NODE_IP"
  [[ "$REGION" =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || fail "unexpected region: $REGION"
  [[ "$INSTANCE_ID" =~ ^i-[0-9a-f]+$ ]] || fail "unexpected instance id: $INSTANCE_ID"
  NODE_NAME=$(private_dns_name "$NODE_IP" "$REGION")
  readonly NODE_IP REGION INSTANCE_ID NODE_NAME
  export AWS_DEFAULT_REGION="$REGION"
  log "node $NODE_NAME ($NODE_IP, $INSTANCE_ID)"
}

# A node whose bootstrap failed for good must not stay InService: its Auto Scaling group
# replaces it, and an instance refresh stops instead of rolling on. SetInstanceHealth
# first; a stopped instance fails its EC2 health check, so power off if that fails.
mark_unhealthy() {
  log "marking this instance unhealthy so that its Auto Scaling group replaces it"
  local id="$INSTANCE_ID"
  if [ -z "$id" ]; then
    id=$(imds instance-id) || id=""
  fi
  if [ -n "$id" ] && command -v aws >/dev/null 2>&1 &&
    aws autoscaling set-instance-health --instance-id "$id" --health-status Unhealthy \
      --no-should-respect-grace-period; then
    return 0
  fi
  log "SetInstanceHealth failed; powering off"
  systemctl poweroff
}

on_exit() {
  local status=$?
  if [ "$status" -ne 0 ] && [ "$PHASE" != arguments ]; then
    mark_unhealthy || log "could not mark this instance unhealthy"
  fi
  exit "$status"
}
`;
