/**
 * Stand-in `aws`, `kubeadm` and `sleep` commands in a scratch directory, for
 * running the node's secret fetch and token rotation for real. The store is
 * files: `store/pki` (the PKI secret string), `store/token` (the parameter);
 * `mode` makes every call succeed (`ok`), miss (`missing`) or be refused
 * (`denied`); every call's arguments go to `calls.log`. The cluster's tokens
 * are lines of `<token> <RFC 3339 expiry, or nothing>` in `cluster-tokens`.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const awsStandIn = String.raw`#!/bin/bash
set -euo pipefail
root="$(dirname "$(dirname "$0")")"
echo "aws $*" >>"$root/calls.log"
mode=$(cat "$root/mode")
operation="$1 $2"
if [ "$mode" = missing ]; then
  echo "An error occurred (ResourceNotFoundException) when calling the $operation operation: the store has no such item" >&2
  exit 254
fi
if [ "$mode" = denied ]; then
  echo "An error occurred (AccessDeniedException) when calling the $operation operation: User: arn:aws:sts::123456789012:assumed-role/node/i-0abc is not authorized" >&2
  exit 254
fi
case "$operation" in
  "secretsmanager get-secret-value") cat "$root/store/pki" ;;
  "ssm get-parameter") cat "$root/store/token"; echo ;;
  "ssm put-parameter")
    while [ "$#" -gt 0 ]; do
      if [ "$1" = --value ]; then cp "${"$"}{2#file://}" "$root/store/token"; fi
      shift
    done
    echo '{"Version": 2, "Tier": "Standard"}'
    ;;
  *) echo "stand-in aws: unexpected $operation" >&2; exit 2 ;;
esac
`;

const kubeadmStandIn = String.raw`#!/bin/bash
set -euo pipefail
root="$(dirname "$(dirname "$0")")"
echo "kubeadm $*" >>"$root/calls.log"
case "$1 $2" in
  "token list") cat "$root/cluster-tokens" ;;
  "token create")
    token="newtok.$(printf '%016d' "$(wc -l <"$root/cluster-tokens")")"
    echo "$token $(date -u -d '+24 hours' +%Y-%m-%dT%H:%M:%SZ)" >>"$root/cluster-tokens"
    echo "$token"
    ;;
  *) echo "stand-in kubeadm: unexpected $*" >&2; exit 2 ;;
esac
`;

export interface StandInRoot {
  readonly dir: string;
  /** PATH with the stand-ins first. */
  readonly path: string;
  write(relative: string, content: string): void;
  read(relative: string): string;
  mode(relative: string): number;
  calls(): string[];
  remove(): void;
}

export function standInRoot(): StandInRoot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secret-stand-ins-"));
  const bin = path.join(dir, "bin");
  fs.mkdirSync(bin);
  fs.mkdirSync(path.join(dir, "store"));
  fs.writeFileSync(path.join(bin, "aws"), awsStandIn, { mode: 0o755 });
  fs.writeFileSync(path.join(bin, "kubeadm"), kubeadmStandIn, { mode: 0o755 });
  // Retries wait for nothing here.
  fs.writeFileSync(path.join(bin, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  fs.writeFileSync(path.join(dir, "mode"), "ok");
  fs.writeFileSync(path.join(dir, "cluster-tokens"), "");
  return {
    dir,
    path: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    write: (relative, content) => fs.writeFileSync(path.join(dir, relative), content),
    read: (relative) => fs.readFileSync(path.join(dir, relative), "utf8"),
    mode: (relative) => fs.statSync(path.join(dir, relative)).mode & 0o777,
    calls: () =>
      fs.existsSync(path.join(dir, "calls.log"))
        ? fs.readFileSync(path.join(dir, "calls.log"), "utf8").trim().split("\n")
        : [],
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
