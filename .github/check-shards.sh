#!/usr/bin/env bash
# Prints the `npm run check` shards for the CI matrix as a GitHub output line,
# e.g. shards=["1/1"] or shards=["1/3","2/3","3/3"]: one shard per 100 stack
# files in stacks/ (a 2-core runner checks 100 stacks in a few minutes), at most 8.
set -euo pipefail
per_shard=100
max_shards=8
count=$(find "${1:-stacks}" -maxdepth 1 -name 'Pulumi.*.yaml' | wc -l)
shards=$(((count + per_shard - 1) / per_shard))
if [ "$shards" -lt 1 ]; then shards=1; fi
if [ "$shards" -gt "$max_shards" ]; then shards=$max_shards; fi
list=""
for ((k = 1; k <= shards; k++)); do list="$list${list:+,}\"$k/$shards\""; done
echo "shards=[$list]"
