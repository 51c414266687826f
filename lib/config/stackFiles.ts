/**
 * Reads team stack files (`stacks/Pulumi.<stack>.yaml`) directly, so planning and
 * checking need neither the Pulumi CLI nor credentials.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { type ConfigResult, parseClusterConfig, projectName } from "./clusterConfig";
import { type ConfigProblem, configProblem } from "./problems";
import {
  type RoutingDomains,
  routingDomainsFileName,
  routingDomainsSchema,
} from "./routingDomains";

export const stacksDirectory = path.join(__dirname, "..", "..", "stacks");

const stackFilePattern = /^Pulumi\.(.+)\.yaml$/;

/** Stack names with a file in the directory, sorted. */
export function listStacks(directory: string = stacksDirectory): string[] {
  return fs
    .readdirSync(directory)
    .map((file) => stackFilePattern.exec(file)?.[1])
    .filter((name): name is string => name !== undefined)
    .sort();
}

export function stackFilePath(stack: string, directory: string = stacksDirectory): string {
  return path.join(directory, `Pulumi.${stack}.yaml`);
}

/**
 * Splits a stack file's `config:` map into `aws:region` and the keys of this
 * project's namespace. Keys of other namespaces (providers, `pulumi:`) are left
 * to their owners.
 */
export function splitStackConfig(config: Record<string, unknown>): {
  region: unknown;
  cluster: Record<string, unknown>;
} {
  const cluster: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (key.startsWith(`${projectName}:`)) cluster[key.slice(projectName.length + 1)] = value;
    else if (!key.includes(":")) cluster[key] = value; // Pulumi's shorthand for the project namespace
  }
  return { region: config["aws:region"], cluster };
}

/** Loads and validates one stack file; unreadable files are reported like bad keys. */
export function loadStack(stack: string, directory: string = stacksDirectory): ConfigResult {
  const file = stackFilePath(stack, directory);
  let document: unknown;
  try {
    document = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return {
      ok: false,
      problems: [configProblem(path.relative(process.cwd(), file), reason, "unreadable-file")],
    };
  }
  const config =
    document && typeof document === "object" && "config" in document ? document.config : undefined;
  if (!config || typeof config !== "object" || Array.isArray(config)) {
    return {
      ok: false,
      problems: [
        configProblem(path.relative(process.cwd(), file), "has no config: map", "unreadable-file"),
      ],
    };
  }
  const { region, cluster } = splitStackConfig(config as Record<string, unknown>);
  return parseClusterConfig(stack, region, cluster);
}

/**
 * Loads `stacks/routing-domains.yaml`; a missing file declares no domains.
 * Problems name the file and the key.
 */
export function loadRoutingDomains(
  directory: string = stacksDirectory,
):
  | { readonly ok: true; readonly domains: RoutingDomains }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] } {
  const file = path.join(directory, routingDomainsFileName);
  if (!fs.existsSync(file)) return { ok: true, domains: {} };
  const where = path.relative(process.cwd(), file);
  let document: unknown;
  try {
    document = parseYaml(fs.readFileSync(file, "utf8"));
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return { ok: false, problems: [configProblem(where, reason, "unreadable-file")] };
  }
  const result = routingDomainsSchema.safeParse(document, { reportInput: true });
  if (result.success) return { ok: true, domains: result.data.routingDomains };
  return {
    ok: false,
    problems: result.error.issues.map((issue) =>
      configProblem(`${where}: ${issue.path.map(String).join(".")}`, issue.message),
    ),
  };
}
