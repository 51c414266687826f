#!/usr/bin/env bash
# Prints `stacks=<JSON array>` for GitHub Actions: the stacks to preview or deploy
# between two commits. A changed stack file selects that stack; a change to the
# shared program, pack or lock file selects every stack, since each may be affected.
# A deleted stack file selects nothing: removing a stack is a manual `pulumi destroy`.
set -euo pipefail

base="${1:-}"
head="${2:-HEAD}"
cd "$(dirname "$0")/.."

all_stacks() {
  find stacks -maxdepth 1 -name 'Pulumi.*.yaml' -printf '%f\n' | sed -e 's/^Pulumi\.//' -e 's/\.yaml$//' | sort
}

# No usable base (first push, force push): treat everything as changed.
if [ -z "$base" ] || [ "$base" = "0000000000000000000000000000000000000000" ] \
  || ! git cat-file -e "$base^{commit}" 2>/dev/null; then
  selected=$(all_stacks)
else
  changed=$(git diff --name-only --diff-filter=d "$base" "$head")
  if [ -z "$changed" ]; then
    selected=""
  elif grep -qvE '^(stacks/Pulumi\.[^/]+\.yaml|stacks/routing-domains\.yaml|.*\.md|\.github/.*)$' <<<"$changed"; then
    selected=$(all_stacks)
  else
    selected=$(grep -E '^stacks/Pulumi\.[^/]+\.yaml$' <<<"$changed" \
      | sed -e 's#^stacks/Pulumi\.##' -e 's/\.yaml$//' | sort -u || true)
  fi
fi

json=$(printf '%s\n' "$selected" | sed '/^$/d' | awk 'BEGIN { printf "[" } { printf "%s\"%s\"", (NR > 1 ? "," : ""), $0 } END { printf "]" }')
echo "stacks=$json"
