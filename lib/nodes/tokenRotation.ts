/**
 * Keeps a valid join token in the cluster's store. A systemd timer on every
 * master runs a script hourly: when the stored token is missing from the
 * cluster, never expires, or has less than half its life left, it creates a
 * new one with `kubeadm token create --ttl 24h` and writes it to the SSM
 * parameter. Masters racing each other is harmless: every token they create
 * is valid, the last write wins, and the others expire unused. Only the first
 * value comes from the program (which ignores later changes to it).
 * Pure: no Pulumi imports.
 */
import { shellConstantLine, storeCallFunction } from "./secretFetch";
import { joinTokenTtlHours, type SecretStoreNames } from "./secretStore";

export const tokenRotationScriptPath = "/usr/local/sbin/kubeadm-token-rotate";
export const tokenRotationUnit = "kubeadm-token-rotation";
export const systemdUnitDirectory = "/etc/systemd/system";

export interface TokenRotationOptions {
  readonly store: SecretStoreNames;
  /** kubeconfig kubeadm uses; default /etc/kubernetes/admin.conf (every master has one). */
  readonly kubeconfig?: string;
  /** Attempts per store call; default 3 (the timer tries again within the hour). */
  readonly attempts?: number;
  /** Seconds between attempts; default 10. */
  readonly intervalSeconds?: number;
}

/** The rotation script. */
export function renderTokenRotationScript(options: TokenRotationOptions): string {
  const header = [
    "#!/bin/bash",
    "# Replaces the stored join token when it has less than half its life left.",
    "# Rendered by lib/nodes/tokenRotation.ts; run by kubeadm-token-rotation.timer.",
    "set -euo pipefail",
    "",
    shellConstantLine("AWS_REGION_NAME", options.store.region),
    shellConstantLine("JOIN_TOKEN_PARAMETER", options.store.joinTokenParameterName),
    shellConstantLine("KMS_KEY_ARN", options.store.kmsKeyArn),
    shellConstantLine("TOKEN_TTL_HOURS", joinTokenTtlHours),
    shellConstantLine("KUBECONFIG_PATH", options.kubeconfig ?? "/etc/kubernetes/admin.conf"),
    shellConstantLine("SECRET_FETCH_ATTEMPTS", options.attempts ?? 3),
    shellConstantLine("SECRET_FETCH_INTERVAL_SECONDS", options.intervalSeconds ?? 10),
    "",
    "log() {",
    '  echo "kubeadm-token-rotate: $*" >&2',
    "}",
  ];
  return `${header.join("\n")}\n${storeCallFunction}${rotationBody}`;
}

const rotationBody = String.raw`
readonly WHAT="the join token (SSM parameter $JOIN_TOKEN_PARAMETER in $AWS_REGION_NAME)"

# Seconds until the token with this id expires; "never" or "absent".
token_expiry() {
  local id="$1" listing expires
  listing=$(kubeadm token list --kubeconfig "$KUBECONFIG_PATH" \
    -o jsonpath='{.token}{" "}{.expires}{"\n"}') || return 1
  expires=$(awk -v id="$id" '{ split($1, part, "."); if (part[1] == id) { print ($2 == "" ? "never" : $2); exit } }' <<<"$listing")
  case "$expires" in
    "") echo absent ;;
    never) echo never ;;
    *) echo $(($(date -d "$expires" +%s) - $(date +%s))) ;;
  esac
}

main() {
  local stored id remaining new_token
  stored=$(secret_store_call "$WHAT" aws ssm get-parameter --region "$AWS_REGION_NAME" \
    --name "$JOIN_TOKEN_PARAMETER" --with-decryption \
    --query Parameter.Value --output text) || exit 1
  id=${"$"}{stored%%.*}
  if ! remaining=$(token_expiry "$id"); then
    log "ERROR: kubeadm token list failed; is the API server up?"
    exit 1
  fi
  case "$remaining" in
    absent) log "the stored token $id is not in the cluster (expired or deleted): replacing it" ;;
    never) log "the stored token $id never expires: replacing it with one that does" ;;
    *)
      if [ "$remaining" -gt $((TOKEN_TTL_HOURS * 3600 / 2)) ]; then
        log "the stored token $id is valid for another $((remaining / 3600)) hours; nothing to do"
        return 0
      fi
      log "the stored token $id expires in $((remaining / 60)) minutes: replacing it"
      ;;
  esac
  new_token=$(kubeadm token create --kubeconfig "$KUBECONFIG_PATH" --ttl "${"$"}{TOKEN_TTL_HOURS}h" \
    --description "Join token kept in $JOIN_TOKEN_PARAMETER by kubeadm-token-rotation") || {
    log "ERROR: kubeadm token create failed"
    exit 1
  }
  if [[ ! "$new_token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; then
    log "ERROR: kubeadm token create printed something other than a token"
    exit 1
  fi
  # The value goes through a 0600 file: on the command line every local process could read it.
  token_file=$(mktemp)
  trap 'rm -f "$token_file"' EXIT
  printf '%s' "$new_token" >"$token_file"
  if ! aws ssm put-parameter --region "$AWS_REGION_NAME" --name "$JOIN_TOKEN_PARAMETER" \
    --type SecureString --key-id "$KMS_KEY_ARN" --overwrite --value "file://$token_file" \
    >/dev/null 2>"$token_file.err"; then
    log "ERROR: could not write $WHAT: $(tail -n 1 "$token_file.err" | cut -c 1-300)"
    rm -f "$token_file.err"
    exit 1
  fi
  rm -f "$token_file.err"
  log "stored the new token ${"$"}{new_token%%.*} (valid ${"$"}{TOKEN_TTL_HOURS}h) in $JOIN_TOKEN_PARAMETER"
}

main
`;

/** The oneshot service the timer starts. */
export function renderTokenRotationService(): string {
  return [
    "[Unit]",
    "Description=Keep a valid kubeadm join token in the cluster's secret store",
    "After=network-online.target kubelet.service",
    "Wants=network-online.target",
    "ConditionPathExists=/etc/kubernetes/admin.conf",
    "",
    "[Service]",
    "Type=oneshot",
    // The aws CLI snap lives in /snap/bin, which systemd's default PATH lacks.
    "Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin",
    `ExecStart=${tokenRotationScriptPath}`,
    "",
  ].join("\n");
}

/** Hourly, so a token is replaced within an hour of passing half its life. */
export function renderTokenRotationTimer(): string {
  return [
    "[Unit]",
    "Description=Check the stored kubeadm join token every hour",
    "",
    "[Timer]",
    "OnBootSec=5min",
    "OnUnitActiveSec=1h",
    "RandomizedDelaySec=5min",
    "",
    "[Install]",
    "WantedBy=timers.target",
    "",
  ].join("\n");
}
