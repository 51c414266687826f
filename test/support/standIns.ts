/**
 * The stand-in commands of the bootstrap harness (./bootstrapHarness.ts), as
 * bash. Every stand-in records its call, then runs its behaviour: the default
 * below (`default_<name>`, dashes as underscores) unless a test passes its own
 * body, which may call the default. Helpers available to bodies:
 * - `nth_call <key>`: counts calls under a key and prints the count (1, 2, ...);
 * - `api_state`: the API endpoint's state (`up`, `refused`, `timeout`, `forbidden`),
 *   from `$STANDIN_STATE/api`, which `kubeadm init` sets to `up`;
 * - `$ROOT` (the scratch root), `$STANDIN_STATE` (the stand-ins' state).
 */

/** Commands the bootstrap may run that the harness replaces. */
export const standInCommands = [
  "apt-get",
  "apt-mark",
  "aws",
  "containerd",
  "curl",
  "gpg",
  "kubeadm",
  "kubelet",
  "modprobe",
  "poweroff",
  "sleep",
  "snap",
  "sysctl",
  "systemctl",
] as const;
export type StandInCommand = (typeof standInCommands)[number];

/** `containerd config default` of containerd 2.x (config version 3), shortened. */
export const containerdDefaultConfig = `version = 3
root = '/var/lib/containerd'

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = 'overlayfs'

    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = 'registry.k8s.io/pause:3.10'

  [plugins.'io.containerd.cri.v1.runtime']
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = 'runc'

      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes]
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
          runtime_type = 'io.containerd.runc.v2'

          [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
            SystemdCgroup = false
`;

/** The shared library each stand-in sources. */
export const standInLibrary = String.raw`# Sourced by every stand-in; see test/support/standIns.ts.
ROOT="$BOOTSTRAP_ROOT"

record() {
  local line="$1"
  shift
  local arg
  for arg in "$@"; do
    line+=$'\x1f'"$arg"
  done
  printf '%s\n' "$line" >>"$STANDIN_STATE/calls.log"
}

nth_call() {
  local file="$STANDIN_STATE/count.$1" count=0
  [ -f "$file" ] && count=$(cat "$file")
  count=$((count + 1))
  echo "$count" >"$file"
  echo "$count"
}

api_state() {
  cat "$STANDIN_STATE/api" 2>/dev/null || echo refused
}

installed() {
  [ -f "$STANDIN_STATE/prebaked" ] || [ -f "$STANDIN_STATE/installed/$1" ]
}

default_apt_get() {
  local arg
  if printf '%s\n' "$@" | grep -qx install; then
    for arg in "$@"; do
      case "$arg" in
        *=*) mkdir -p "$STANDIN_STATE/installed" && touch "$STANDIN_STATE/installed/${"$"}{arg%%=*}" ;;
      esac
    done
  fi
}

default_apt_mark() { :; }
default_modprobe() { :; }
default_sysctl() { :; }
default_sleep() { :; }
default_snap() { :; }
default_systemctl() { :; }
default_poweroff() { :; }

default_gpg() {
  local out=""
  while [ "$#" -gt 0 ]; do
    if [ "$1" = -o ]; then out="$2"; shift; fi
    shift
  done
  cat >/dev/null
  [ -n "$out" ] && echo "stand-in keyring" >"$out"
}

default_containerd() {
  if [ "$1 $2" = "config default" ]; then
    cat "$STANDIN_STATE/containerd-default.toml"
  fi
}

default_kubelet() {
  installed kubelet || return 127
  echo "Kubernetes v$STANDIN_KUBERNETES_VERSION"
}

kubeadm_config_file() {
  local previous=""
  for arg in "$@"; do
    if [ "$previous" = --config ]; then echo "$arg"; fi
    previous="$arg"
  done
}

default_kubeadm() {
  case "$1" in
    version)
      installed kubeadm || return 1
      echo "v$STANDIN_KUBERNETES_VERSION"
      ;;
    config)
      local repository=registry.k8s.io previous=""
      for arg in "$@"; do
        [ "$previous" = --image-repository ] && repository="$arg"
        previous="$arg"
      done
      for image in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
        echo "$repository/$image:v$STANDIN_KUBERNETES_VERSION"
      done
      echo "$repository/coredns/coredns:v1.12.1"
      echo "$repository/pause:3.10.1"
      echo "$repository/etcd:3.6.5-0"
      ;;
    init)
      [ -f "$ROOT/etc/kubernetes/pki/ca.key" ] || { echo "stand-in kubeadm: no ca.key" >&2; return 1; }
      mkdir -p "$ROOT/etc/kubernetes"
      touch "$ROOT/etc/kubernetes/admin.conf" "$ROOT/etc/kubernetes/kubelet.conf"
      echo up >"$STANDIN_STATE/api"
      if ! printf '%s\n' "$@" | grep -qx -- --skip-token-print; then
        local token
        token=$(sed -n 's/^ *- token: *//p; s/^ *token: *//p' "$(kubeadm_config_file "$@")" | head -n1)
        echo "kubeadm join $STANDIN_API_ENDPOINT --token $token"
      fi
      echo "Your Kubernetes control-plane has initialized successfully!"
      ;;
    join)
      mkdir -p "$ROOT/etc/kubernetes"
      touch "$ROOT/etc/kubernetes/kubelet.conf"
      echo "This node has joined the cluster"
      ;;
    reset)
      rm -rf "$ROOT/etc/kubernetes/pki" "$ROOT/etc/kubernetes/kubelet.conf" \
        "$ROOT/etc/kubernetes/admin.conf"
      ;;
  esac
}

ssm_file() {
  echo "$STANDIN_STATE/ssm/$(printf '%s' "$1" | tr / _)"
}

default_aws() {
  local name="" value="" previous="" secret=""
  for arg in "$@"; do
    [ "$previous" = --name ] && name="$arg"
    [ "$previous" = --secret-id ] && secret="$arg"
    [ "$previous" = --value ] && value="$arg"
    previous="$arg"
  done
  case "$1 $2" in
    "ssm get-parameter")
      if [ -f "$(ssm_file "$name")" ]; then
        cat "$(ssm_file "$name")"
      else
        echo "An error occurred (ParameterNotFound) when calling the GetParameter operation" >&2
        return 254
      fi
      ;;
    "ssm put-parameter")
      mkdir -p "$STANDIN_STATE/ssm"
      printf '%s\n' "$value" >"$(ssm_file "$name")"
      echo '{"Version": 2, "Tier": "Standard"}'
      ;;
    "secretsmanager get-secret-value")
      if [ -f "$(ssm_file "secret:$secret")" ]; then
        cat "$(ssm_file "secret:$secret")"
      else
        echo "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation" >&2
        return 254
      fi
      ;;
    "autoscaling set-instance-health") ;;
    *)
      echo "stand-in aws: unexpected call: $*" >&2
      return 252
      ;;
  esac
}

# Answers like curl: the body (or -o), -w '%{http_code}', -f failing on >= 400, and curl's
# exit codes 7 (refused) and 28 (timed out). IMDS requests go to the real curl (the stub).
default_curl() {
  local url="" out="" format="" fail=false previous=""
  for arg in "$@"; do
    case "$arg" in
      http://* | https://*) url="$arg" ;;
    esac
    [ "$previous" = -o ] && out="$arg"
    [ "$previous" = -w ] && format="$arg"
    case "$arg" in
      -*f*) [[ "$arg" =~ ^-[a-zA-Z]*f ]] && fail=true ;;
    esac
    previous="$arg"
  done
  if [ "${"$"}{url#"$BOOTSTRAP_IMDS_ENDPOINT"}" != "$url" ]; then
    exec "$REAL_CURL" "$@"
  fi
  local code=200 body=""
  case "$url" in
    https://pkgs.k8s.io/*) body="-----BEGIN PGP PUBLIC KEY BLOCK-----" ;;
    *:6443/*)
      case "$(api_state)" in
        up) body='{"kind":"ConfigMap"}' ;;
        forbidden) code=403 body='{"kind":"Status"}' ;;
        timeout)
          echo "curl: (28) Connection timed out" >&2
          return 28
          ;;
        *)
          echo "curl: (7) Failed to connect: Connection refused" >&2
          return 7
          ;;
      esac
      ;;
    *)
      echo "curl: (6) Could not resolve host" >&2
      return 6
      ;;
  esac
  if [ "$fail" = true ] && [ "$code" -ge 400 ]; then
    echo "curl: (22) The requested URL returned error: $code" >&2
    return 22
  fi
  if [ -n "$out" ]; then printf '%s' "$body" >"$out"; else printf '%s' "$body"; fi
  if [ -n "$format" ]; then printf '%s' "${"$"}{format//%\{http_code\}/$code}"; fi
  return 0
}
`;

/** One stand-in's script: record the call, then the body. */
export function standInScript(command: StandInCommand, body: string | undefined): string {
  const fallback = `default_${command.replace(/-/g, "_")} "$@"`;
  return [
    "#!/bin/bash",
    "set -uo pipefail",
    'source "$STANDIN_LIB"',
    `record ${command} "$@"`,
    body ?? fallback,
    "",
  ].join("\n");
}
