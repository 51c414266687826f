/**
 * The masters' AWS lifecycle scripts, delivered through SSM Parameter Store
 * rather than user data: a master's user data is within a few KiB of EC2's
 * 16 KiB limit (the shared CA keys), and these scripts hold nothing secret. The
 * bootstrap fetches each parameter into its path (the instance role's SSM core
 * policy reads parameters); a change here reaches masters launched afterwards
 * and never rewrites a launch template. Pure: no Pulumi imports.
 */
import { etcdCleanupScriptPath, renderEtcdCleanupScript } from "./etcdCleanup";
import {
  lifecycleHookScriptPath,
  lifecycleHookUnitPath,
  renderLifecycleHookScript,
  renderLifecycleHookUnit,
} from "./lifecycleHook";

/** SSM standard parameters hold at most 4 KB. */
export const maxParameterChars = 4096;

export interface MasterScript {
  /** The file name: the parameter's last path segment and the resource's logical name suffix. */
  readonly key: string;
  /** Units under /etc/systemd/system (0644), scripts under /usr/local/sbin (0700): the bootstrap's layout. */
  readonly path: string;
  readonly mode: string;
  readonly content: string;
}

function placed(path: string, content: string): MasterScript {
  const key = path.slice(path.lastIndexOf("/") + 1);
  const unit = key.endsWith(".service");
  const expected = unit ? `/etc/systemd/system/${key}` : `/usr/local/sbin/${key}`;
  if (path !== expected) throw new Error(`${path} is not where the bootstrap puts ${key}`);
  return { key, path, mode: unit ? "0644" : "0700", content };
}

/** The parameter path prefix of a cluster's master scripts. */
export const masterScriptsParameterPrefix = (clusterName: string) =>
  `/calico-cluster/${clusterName}/master`;

/**
 * @throws if a script outgrows a standard parameter
 */
export function masterScripts(
  options: { readonly clusterName: string; readonly region: string },
  etcdPkiDirectory = "/etc/kubernetes/pki/etcd",
): MasterScript[] {
  const scripts: MasterScript[] = [
    placed(etcdCleanupScriptPath, renderEtcdCleanupScript({ ...options, etcdPkiDirectory })),
    placed(lifecycleHookScriptPath, renderLifecycleHookScript({ region: options.region })),
    placed(lifecycleHookUnitPath, renderLifecycleHookUnit()),
  ];
  for (const script of scripts) {
    if (script.content.length > maxParameterChars) {
      throw new Error(
        `${script.key} is ${script.content.length} characters; SSM holds ${maxParameterChars}`,
      );
    }
  }
  return scripts;
}

/** What the bootstrap fetches: the file names, space-separated. */
export function masterScriptNames(scripts: readonly MasterScript[]): string {
  return scripts.map((script) => script.key).join(" ");
}
