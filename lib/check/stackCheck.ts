/**
 * `npm run check`'s work for each stack, as `pulumi preview --policy-pack policy`
 * would do it but with no cloud and no CLI: validate the stack file, run the
 * program under the mock engine in a child process (Pulumi's runtime is
 * process-global), start the compiled pack as the CLI does, configured from the
 * stack (lib/check/packConfig.ts), and send it every resource over the Analyzer
 * protocol: Analyze per resource, then AnalyzeStack once. Then the
 * organisation-wide routing-domain check over every valid stack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import {
  type Diagnostic,
  type EnforcementLevel,
  type PolicyPackProcess,
  fromRecorded,
  startPolicyPack,
} from "../analyzer/client";
import { projectName } from "../config/clusterConfig";
import type { ConfigProblem } from "../config/problems";
import { type RoutingDomainReport, checkDomains, domainFailures } from "./domainCheck";
import type { RecordedResource } from "../harness/mockEngine";
import { type PolicyPackConfig, mergePackConfig, packConfigFor } from "./packConfig";
import { mapWithLimit, runProgramChild } from "../harness/programChild";
import { loadStack, stackFilePath } from "../config/stackFiles";

const root = path.join(__dirname, "..", "..");
export const defaultPackDir = path.join(root, "policy");
const programEntry = path.join(root, "scripts", "run-program.ts");

/** One policy violation as `pulumi preview` reports it. */
export interface Violation {
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly policyName: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The resource's URN; the stack's own URN for a violation of the stack as a whole. */
  readonly urn: string;
  readonly resourceType: string;
  readonly resourceName: string;
  /** The policy's description, then the violation text. */
  readonly message: string;
}

export interface StackCheckResult {
  readonly stack: string;
  /** false on a config problem, a refusing or crashing program, a mandatory violation or a routing-domain collision. */
  readonly ok: boolean;
  /** Why the stack failed, one short phrase each; empty when it passed. */
  readonly failures: readonly string[];
  readonly configProblems: readonly ConfigProblem[];
  /** Why nothing was analyzed: the program's error (its RunError text), a crash, or the pack's failure. */
  readonly programError: string | null;
  readonly resourceCount: number;
  readonly policyPack: { readonly name: string; readonly version: string } | null;
  /** Sorted as `pulumi preview` sorts them: level, policy, URN. */
  readonly violations: readonly Violation[];
}

export interface CheckOptions {
  readonly stacksDir: string;
  /** The pack to run; default `policy/` (built with `npm run build:policy`). */
  readonly packDir?: string;
  /** Laid over every stack's own pack config (`--policy-config`); default none. */
  readonly extraPackConfig?: PolicyPackConfig;
  /** Stacks checked at once; default 2 (a program run takes a core for ~3 s). */
  readonly concurrency?: number;
}

/** The stack file's `config:` map as the CLI hands it to an analyzer: every value a string. */
function stackConfigStrings(stack: string, directory: string): Record<string, string> {
  const document = parseYaml(fs.readFileSync(stackFilePath(stack, directory), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  return Object.fromEntries(
    Object.entries(document?.config ?? {}).map(([key, value]) => [
      key,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` → type and name, as the CLI shows them. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) return { type: "", name: urn };
  return { type: parts[2].split("$").pop() ?? parts[2], name: parts.slice(3).join("::") };
}

/** The root resource a stack-wide violation is attached to. */
export function stackUrn(stack: string): string {
  return `urn:pulumi:${stack}::${projectName}::pulumi:pulumi:Stack::${projectName}-${stack}`;
}

/** Byte order, as Go's strings.Compare in the CLI's display. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const violationOrder = (a: Violation, b: Violation) =>
  compare(a.enforcementLevel, b.enforcementLevel) ||
  compare(a.policyName, b.policyName) ||
  compare(a.urn, b.urn);

function toViolation(stack: string, diagnostic: Diagnostic): Violation {
  const urn = diagnostic.urn || stackUrn(stack);
  const { type, name } = urnParts(urn);
  return {
    policyPackName: diagnostic.policyPackName,
    policyPackVersion: diagnostic.policyPackVersion,
    policyName: diagnostic.policyName,
    enforcementLevel: diagnostic.enforcementLevel,
    urn,
    resourceType: type,
    resourceName: name,
    message: diagnostic.message,
  };
}

/**
 * Sends resources to a started pack as the engine does: Analyze for each
 * resource as it is registered, then AnalyzeStack with all of them.
 * @param stack names the stack a stack-wide violation is attached to
 * @returns every violation, sorted as `pulumi preview` sorts them
 */
export async function analyzeResources(
  pack: PolicyPackProcess,
  stack: string,
  resources: readonly RecordedResource[],
): Promise<Violation[]> {
  const inputs = resources.map(fromRecorded);
  const perResource = await Promise.all(inputs.map((input) => pack.analyze(input)));
  const whole = await pack.analyzeStack(inputs);
  return [...perResource.flatMap((result) => result.diagnostics), ...whole.diagnostics]
    .map((diagnostic) => toViolation(stack, diagnostic))
    .sort(violationOrder);
}

/**
 * Starts the pack for one stack as the CLI does (ConfigureStack with the stack's
 * config, Configure with its pack config), analyzes the resources, stops it.
 * @returns the pack's name and version, and every violation
 */
export async function analyzeWithPack(
  stack: string,
  resources: readonly RecordedResource[],
  packConfig: PolicyPackConfig,
  options: { packDir?: string; stackConfig?: Record<string, string> } = {},
): Promise<{ name: string; version: string; violations: Violation[] }> {
  const { pack, info } = await startPolicyPack({
    packDir: options.packDir ?? defaultPackDir,
    stack: { project: projectName, stack, dryRun: true, config: options.stackConfig },
    config: packConfig,
  });
  try {
    const violations = await analyzeResources(pack, stack, resources);
    return { name: info.name, version: info.version, violations };
  } finally {
    await pack.close();
  }
}

function failed(
  stack: string,
  fields: Partial<StackCheckResult> & { failures: string[] },
): StackCheckResult {
  return {
    stack,
    ok: false,
    configProblems: [],
    programError: null,
    resourceCount: 0,
    policyPack: null,
    violations: [],
    ...fields,
  };
}

/** Checks one stack: config, program run, policy pack. */
export async function checkStack(stack: string, options: CheckOptions): Promise<StackCheckResult> {
  const loaded = loadStack(stack, options.stacksDir);
  if (!loaded.ok) {
    return failed(stack, { failures: ["invalid config"], configProblems: loaded.problems });
  }
  const run = await runProgramChild(programEntry, (out) => [stack, out, options.stacksDir]);
  if (!run.ok) {
    return failed(stack, {
      failures: [run.crashed ? "program crashed" : "program error"],
      programError: run.error,
    });
  }
  const packConfig = mergePackConfig(packConfigFor(loaded.config), options.extraPackConfig ?? {});
  try {
    const analysis = await analyzeWithPack(stack, run.resources, packConfig, {
      packDir: options.packDir,
      stackConfig: stackConfigStrings(stack, options.stacksDir),
    });
    const mandatory = analysis.violations.filter((v) => v.enforcementLevel === "mandatory").length;
    const plural = mandatory === 1 ? "violation" : "violations";
    return {
      stack,
      ok: mandatory === 0,
      failures: mandatory === 0 ? [] : [`${mandatory} mandatory policy ${plural}`],
      configProblems: [],
      programError: null,
      resourceCount: run.resources.length,
      policyPack: { name: analysis.name, version: analysis.version },
      violations: analysis.violations,
    };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    return failed(stack, {
      failures: ["policy pack failed"],
      programError: `policy pack: ${reason}`,
      resourceCount: run.resources.length,
    });
  }
}

export interface CheckReport {
  readonly ok: boolean;
  readonly stacks: readonly StackCheckResult[];
  readonly routingDomains: RoutingDomainReport;
  readonly passed: number;
  readonly failed: number;
}

/**
 * Checks the given stacks (at most `concurrency` at once) and the routing
 * domains they share with every other stack of the directory.
 * @param stacks the stacks to check
 * @param all every stack of the directory (the domain check's population)
 */
export async function checkStacks(
  stacks: readonly string[],
  all: readonly string[],
  options: CheckOptions,
): Promise<CheckReport> {
  const results = await mapWithLimit(stacks, options.concurrency ?? 2, (stack) =>
    checkStack(stack, options),
  );
  const routingDomains = checkDomains(options.stacksDir, all, stacks);
  const final = results.map((result) => {
    const extra = domainFailures(result.stack, routingDomains.findings);
    return extra.length === 0
      ? result
      : { ...result, ok: false, failures: [...result.failures, ...extra] };
  });
  const passed = final.filter((result) => result.ok).length;
  return {
    ok: passed === final.length && routingDomains.problems.length === 0,
    stacks: final,
    routingDomains,
    passed,
    failed: final.length - passed,
  };
}
