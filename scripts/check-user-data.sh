#!/usr/bin/env bash
# Renders the user data of every example stack (scripts/render-user-data.ts) and
# checks it with the real tools: `cloud-init schema` for each cloud-config and
# `shellcheck` for each script the cloud-config writes.
# Usage: scripts/check-user-data.sh [output directory [stack...]]
#   output directory: default a temporary one; stacks: default every stack in stacks/
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for tool in cloud-init shellcheck; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "check-user-data: missing ${missing[*]} (Debian/Ubuntu: apt-get install ${missing[*]})" >&2
  exit 2
fi

if [ "$#" -gt 0 ]; then
  out_dir="$1"
  shift
  mkdir -p "$out_dir"
else
  out_dir="$(mktemp -d)"
  trap 'rm -rf "$out_dir"' EXIT
fi

npx --no-install tsx scripts/render-user-data.ts "$out_dir" "$@" >/dev/null

status=0
shopt -s nullglob
configs=("$out_dir"/*.cloud-config.yaml)
scripts=("$out_dir"/*.sh)
if [ "${#configs[@]}" -eq 0 ] || [ "${#scripts[@]}" -eq 0 ]; then
  echo "check-user-data: nothing was rendered into $out_dir" >&2
  exit 1
fi
for config in "${configs[@]}"; do
  cloud-init schema --config-file "$config" || status=1
done
for script in "${scripts[@]}"; do
  shellcheck --shell=bash "$script" && echo "shellcheck ok: $script" || status=1
done
exit "$status"
