/**
 * The host phases of the node bootstrap script: kernel prerequisites, the
 * packages (skipped on a pre-baked image), containerd's cgroup driver and
 * sandbox image. Shell text only, assembled by ../bootstrapScript.ts; it never
 * uses `${`, so nothing is interpolated.
 */

export const hostFunctions = String.raw`readonly KEYRING_PATH='/etc/apt/keyrings/kubernetes-apt-keyring.gpg'
readonly CONTAINERD_CONFIG="$ROOT/etc/containerd/config.toml"
PREBAKED=false

prepare_host() {
  modprobe overlay
  modprobe br_netfilter
  sysctl --system >/dev/null
}

# True when the image already carries this version's kubeadm and kubelet, and containerd.
prebaked() {
  command -v kubelet >/dev/null 2>&1 && command -v containerd >/dev/null 2>&1 &&
    [ "$(kubeadm version -o short 2>/dev/null || true)" = "v$KUBERNETES_VERSION" ]
}

# apt waits for a dpkg lock held by unattended-upgrades instead of failing at once.
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300 \
    -o Acquire::Retries=3 "$@"
}

fetch_kubernetes_key() {
  curl -fsSL --max-time 60 "https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/Release.key" |
    gpg --dearmor --yes -o "$ROOT$KEYRING_PATH"
}

install_packages() {
  if prebaked; then
    PREBAKED=true
    log "kubeadm v$KUBERNETES_VERSION is pre-installed: no package downloads"
    command -v aws >/dev/null 2>&1 || fail "the node image carries kubeadm but no aws CLI"
    return
  fi
  retry "$APT_ATTEMPTS" 30 apt_get update
  retry "$APT_ATTEMPTS" 30 apt_get install apt-transport-https ca-certificates curl gpg \
    "containerd=$CONTAINERD_VERSION"
  install -d -m 0755 "$ROOT/etc/apt/keyrings" "$ROOT/etc/apt/sources.list.d"
  retry "$APT_ATTEMPTS" 30 fetch_kubernetes_key
  # apt reads keyrings as its unprivileged _apt user: world-readable, as upstream installs it.
  chmod 0644 "$ROOT$KEYRING_PATH"
  echo "deb [signed-by=$KEYRING_PATH] https://pkgs.k8s.io/core:/stable:/$KUBERNETES_MINOR/deb/ /" \
    >"$ROOT/etc/apt/sources.list.d/kubernetes.list"
  chmod 0644 "$ROOT/etc/apt/sources.list.d/kubernetes.list"
  retry "$APT_ATTEMPTS" 30 apt_get update
  retry "$APT_ATTEMPTS" 30 apt_get install "kubelet=$KUBERNETES_VERSION-*" \
    "kubeadm=$KUBERNETES_VERSION-*" "kubectl=$KUBERNETES_VERSION-*"
  # Upgrades go through kubeadm upgrade, never an unattended apt run.
  apt-mark hold kubelet kubeadm kubectl containerd
  if ! command -v aws >/dev/null 2>&1; then
    retry "$APT_ATTEMPTS" 30 snap install aws-cli --classic
  fi
}

# The pause image kubeadm itself uses for this version and image repository.
pause_image() {
  local images
  images=$(kubeadm config images list --kubernetes-version "v$KUBERNETES_VERSION" \
    --image-repository "$IMAGE_REPOSITORY")
  sed -n '/\/pause:/{p;q}' <<<"$images"
}

set_systemd_cgroup() {
  local enabled='^\s*SystemdCgroup\s*=\s*true'
  grep -Eq "$enabled" "$CONTAINERD_CONFIG" && return 0
  if grep -Eq '^\s*SystemdCgroup\s*=' "$CONTAINERD_CONFIG"; then
    sed -i -E 's/^(\s*)SystemdCgroup\s*=.*/\1SystemdCgroup = true/' "$CONTAINERD_CONFIG"
  else
    # The runc options table: config version 2 (containerd 1.x) or 3 (containerd 2.x).
    sed -i -E '/^\s*\[plugins\.["'"'"'](io\.containerd\.grpc\.v1\.cri|io\.containerd\.cri\.v1\.runtime)["'"'"']\.containerd\.runtimes\.runc\.options\]/a SystemdCgroup = true' \
      "$CONTAINERD_CONFIG"
  fi
  grep -Eq "$enabled" "$CONTAINERD_CONFIG" ||
    fail "could not enable SystemdCgroup in $CONTAINERD_CONFIG (no runc options table)"
}

# sandbox_image (config version 2) or pinned_images.sandbox (version 3).
set_sandbox_image() {
  sed -i -E -e "s|^(\s*)sandbox_image\s*=.*|\1sandbox_image = \"$1\"|" \
    -e "s|^(\s*)sandbox\s*=.*|\1sandbox = '$1'|" "$CONTAINERD_CONFIG"
  grep -Fq "$1" "$CONTAINERD_CONFIG" ||
    fail "$CONTAINERD_CONFIG has no sandbox image setting to point at $1"
}

# kubelet and containerd must agree on the cgroup driver (kubeadm sets systemd), and
# containerd's sandbox must be kubeadm's pause image, from the mirror when there is one.
configure_containerd() {
  local sandbox
  sandbox=$(pause_image)
  [[ "$sandbox" =~ ^[a-z0-9.:/_-]+$ ]] ||
    fail "kubeadm lists no usable pause image for v$KUBERNETES_VERSION: $sandbox"
  install -d -m 0755 "$ROOT/etc/containerd"
  if [ "$PREBAKED" = true ] && [ -s "$CONTAINERD_CONFIG" ]; then
    # The image's own configuration (mirrors, credentials) stays as it was built.
    set_systemd_cgroup
    grep -Fq "$sandbox" "$CONTAINERD_CONFIG" ||
      log "WARNING: the image's containerd sandbox image is not $sandbox; pre-pull it"
  else
    containerd config default >"$CONTAINERD_CONFIG"
    chmod 0644 "$CONTAINERD_CONFIG"
    set_systemd_cgroup
    set_sandbox_image "$sandbox"
  fi
  systemctl restart containerd
  systemctl enable kubelet
}
`;
