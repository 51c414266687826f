/**
 * The shell functions a node's bootstrap uses to read its secrets from the
 * cluster's store with the instance's own role credentials, instead of finding
 * them in user data: the control-plane PKI (masters) from Secrets Manager and
 * the join token (every node) from an SSM SecureString parameter. Every call is
 * retried for a bounded time; a failure is logged once, naming the store and
 * AWS's error, never a value. Fetched files are written 0600 under umask 077.
 * Pure: no Pulumi imports.
 *
 * The functions expect the caller to define `log` (one line to stderr).
 */
import { pkiBundleFiles, type SecretStoreNames } from "./secretStore";

/** Where the token lives on the node between fetch and join: tmpfs, root only. */
export const joinTokenFile = "/run/kubeadm/join-token";
/** kubeadm's PKI directory, where the fetched bundle is unpacked. */
export const kubernetesPkiDirectory = "/etc/kubernetes/pki";

export interface SecretFetchOptions {
  readonly store: Omit<SecretStoreNames, "kmsKeyArn">;
  /** Placeholder the kubeadm files carry where the token goes. */
  readonly tokenPlaceholder: string;
  /** Attempts per store call; default 30 (with the interval: 5 minutes). */
  readonly attempts?: number;
  /** Seconds between attempts; default 10. */
  readonly intervalSeconds?: number;
  /** Directory the PKI bundle is unpacked into; default /etc/kubernetes/pki. */
  readonly pkiDirectory?: string;
  /** Where the fetched token is kept; default /run/kubeadm/join-token. */
  readonly tokenFile?: string;
}

const safeValue = /^[A-Za-z0-9._/:@+=-]+$/;

/**
 * A `readonly NAME='value'` line.
 * @throws if the value could change the meaning of the script
 */
export function shellConstantLine(name: string, value: string | number): string {
  const text = String(value);
  if (!safeValue.test(text)) {
    throw new Error(`${name} ${JSON.stringify(text)} is not safe to embed in a shell script`);
  }
  return `readonly ${name}='${text}'`;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a positive integer, not ${value}`);
  }
  return value;
}

/** The constants and functions, ready to sit between the bootstrap's header and body. */
export function renderSecretFetch(options: SecretFetchOptions): string {
  const constants = [
    "# Secret store (lib/nodes/secretFetch.ts): names only; values are fetched at boot.",
    shellConstantLine("AWS_REGION_NAME", options.store.region),
    shellConstantLine("PKI_SECRET_ID", options.store.pkiSecretName),
    shellConstantLine("JOIN_TOKEN_PARAMETER", options.store.joinTokenParameterName),
    shellConstantLine("JOIN_TOKEN_PLACEHOLDER", options.tokenPlaceholder),
    shellConstantLine("PKI_DIR", options.pkiDirectory ?? kubernetesPkiDirectory),
    shellConstantLine("JOIN_TOKEN_FILE", options.tokenFile ?? joinTokenFile),
    shellConstantLine("SECRET_FETCH_ATTEMPTS", positiveInteger("attempts", options.attempts ?? 30)),
    shellConstantLine(
      "SECRET_FETCH_INTERVAL_SECONDS",
      positiveInteger("intervalSeconds", options.intervalSeconds ?? 10),
    ),
    `readonly PKI_FILES='${pkiBundleFiles.join(" ")}'`,
  ];
  return `${constants.join("\n")}\n${storeCallFunction}${fetchFunctions}`;
}

/**
 * `secret_store_call <what> <command...>` on its own, for scripts that need only
 * the retrying call (the token rotation). Expects SECRET_FETCH_ATTEMPTS and
 * SECRET_FETCH_INTERVAL_SECONDS and a `log` function.
 */
export const storeCallFunction = String.raw`
# Runs an aws CLI call until it succeeds, SECRET_FETCH_ATTEMPTS times at most
# (IAM and new parameters take a moment to be visible everywhere), printing its
# output. On failure logs one line naming the store ($1) and AWS's last error.
secret_store_call() {
  local what="$1" attempt error_file reason
  shift
  error_file=$(mktemp)
  for ((attempt = 1; attempt <= SECRET_FETCH_ATTEMPTS; attempt++)); do
    if "$@" 2>"$error_file"; then
      rm -f "$error_file"
      return 0
    fi
    if [ "$attempt" -lt "$SECRET_FETCH_ATTEMPTS" ]; then
      sleep "$SECRET_FETCH_INTERVAL_SECONDS"
    fi
  done
  reason=$(grep -v '^[[:space:]]*$' "$error_file" | tail -n 1 | cut -c 1-300)
  rm -f "$error_file"
  log "ERROR: could not read $what after $SECRET_FETCH_ATTEMPTS attempts: ${"$"}{reason:-no error output}"
  return 1
}
`;

const fetchFunctions = String.raw`
# The store needs the aws CLI. Ubuntu 24.04 has no awscli package; AWS publishes it as a snap.
ensure_aws_cli() {
  export PATH="$PATH:/snap/bin"
  if command -v aws >/dev/null 2>&1; then
    return 0
  fi
  if command -v snap >/dev/null 2>&1; then
    snap install aws-cli --classic >/dev/null
  else
    apt-get install -y -q awscli >/dev/null
  fi
  command -v aws >/dev/null 2>&1 || {
    log "ERROR: no aws CLI on this image and none could be installed; the node cannot read its secrets"
    return 1
  }
}

# Unpacks the PKI bundle (lines of "<file> <base64>") into PKI_DIR, every file 0600.
fetch_control_plane_pki() {
  local what="the control-plane PKI (Secrets Manager secret $PKI_SECRET_ID in $AWS_REGION_NAME)"
  local bundle name encoded file
  bundle=$(secret_store_call "$what" aws secretsmanager get-secret-value \
    --region "$AWS_REGION_NAME" --secret-id "$PKI_SECRET_ID" \
    --query SecretString --output text) || return 1
  install -d -m 0755 "$PKI_DIR" "$PKI_DIR/etcd"
  while read -r name encoded; do
    [ -n "$name" ] || continue
    case " $PKI_FILES " in
      *" $name "*) ;;
      *)
        log "ERROR: $what holds an entry that is not one of: $PKI_FILES"
        return 1
        ;;
    esac
    if ! (umask 077 && printf '%s' "$encoded" | base64 -d >"$PKI_DIR/$name" 2>/dev/null); then
      log "ERROR: $what: the entry for $name is not base64"
      return 1
    fi
    chmod 0600 "$PKI_DIR/$name"
  done <<<"$bundle"
  for file in $PKI_FILES; do
    if [ ! -s "$PKI_DIR/$file" ]; then
      log "ERROR: $what has no $file"
      return 1
    fi
  done
  log "control-plane PKI written to $PKI_DIR"
}

# Keeps the join token in JOIN_TOKEN_FILE (0600) for fill_join_token.
fetch_join_token() {
  local what="the join token (SSM parameter $JOIN_TOKEN_PARAMETER in $AWS_REGION_NAME)"
  local token
  token=$(secret_store_call "$what" aws ssm get-parameter \
    --region "$AWS_REGION_NAME" --name "$JOIN_TOKEN_PARAMETER" --with-decryption \
    --query Parameter.Value --output text) || return 1
  if [[ ! "$token" =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]]; then
    log "ERROR: $what does not hold a kubeadm bootstrap token"
    return 1
  fi
  install -d -m 0700 "$(dirname "$JOIN_TOKEN_FILE")"
  (umask 077 && printf '%s' "$token" >"$JOIN_TOKEN_FILE")
  log "join token ${"$"}{token%%.*}.**************** read from $JOIN_TOKEN_PARAMETER"
}

# Copies stdin to stdout with the token in place of its placeholder. Bash
# builtins only, so the token never appears in a process's arguments.
fill_join_token() {
  local text token
  token=$(<"$JOIN_TOKEN_FILE")
  text=$(cat)
  printf '%s\n' "${"$"}{text//"$JOIN_TOKEN_PLACEHOLDER"/"$token"}"
}
`;
