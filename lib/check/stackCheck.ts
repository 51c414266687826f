/**
 * `npm run check`'s work for each stack, as `pulumi preview --policy-pack policy`
 * would do it but with no cloud and no CLI: validate the stack file, run the
 * program under the mock engine, configure the compiled pack from the stack
 * (lib/check/packConfig.ts) as the CLI does, and send it every resource over
 * the Analyzer protocol: Analyze per resource, then AnalyzeStack once. Then the
 * organisation-wide routing-domain check over every valid stack.
 *
 * Programs run on long-lived workers (lib/harness/programPool.ts) and packs are
 * reused across stacks (lib/check/packPool.ts): a stack then costs its own
 * work, not a process start that loads the SDKs. `isolation: "process"` runs
 * each program and each pack in a process of its own, as the CLI would; the
 * equivalence test runs stacks both ways and compares the reports.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import type { ConfigProblem } from "../config/problems";
import {
  type RoutingDomainReport,
  checkDomains,
  domainFailures,
  stacksNamedBy,
} from "./domainCheck";
import type { RecordedResource } from "../harness/mockEngine";
import { type PolicyPackConfig, mergePackConfig, packConfigFor } from "./packConfig";
import { mapWithLimit, runProgramChild } from "../harness/programChild";
import { type JobResult, ProgramPool } from "../harness/programPool";
import { loadStack, stackFilePath } from "../config/stackFiles";
import { type PackAnalysis, type Violation, analyzeWithPack, defaultPackDir } from "./packAnalysis";
import { PackPool } from "./packPool";
import { type Shard, reportingShard, shardStacks, wholeSelection } from "./shard";

export {
  type PackAnalysis,
  type Violation,
  analyzeResources,
  analyzeWithPack,
  defaultPackDir,
  stackUrn,
  urnParts,
} from "./packAnalysis";

const root = path.join(__dirname, "..", "..");
const programEntry = path.join(root, "scripts", "run-program.ts");
const programModule = path.join(root, "lib", "harness", "programRun.ts");

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

/** Long-lived program workers and packs, to share across several checks (tests do). */
export interface CheckPools {
  readonly programs: ProgramPool;
  readonly packs: PackPool;
}

export interface CheckOptions {
  readonly stacksDir: string;
  /** The pack to run; default `policy/` (built with `npm run build:policy`). */
  readonly packDir?: string;
  /** Laid over every stack's own pack config (`--policy-config`); default none. */
  readonly extraPackConfig?: PolicyPackConfig;
  /** Program workers and packs at once; default 2 (one per core). */
  readonly concurrency?: number;
  /**
   * `worker`: programs on long-lived workers, packs reused across stacks;
   * `process`: a process per program run and per pack, as the CLI would.
   * @default "worker"
   */
  readonly isolation?: "worker" | "process";
  /** Pools to use instead of starting (and stopping) this call's own; `worker` only. */
  readonly pools?: CheckPools;
  /** The share of the stacks to check (`--shard`); default all. */
  readonly shard?: Shard;
  /** Called each time a stack is done, with how many are done of how many. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Called with each stack's program run, as the pack is about to get it (tests compare runs). */
  readonly onProgramRun?: (stack: string, run: JobResult) => void;
}

/** How a stack's program runs and its resources are analyzed. */
interface Engines {
  runProgram(stack: string, stacksDir: string): Promise<JobResult>;
  analyze(
    stack: string,
    resources: readonly RecordedResource[],
    packConfig: PolicyPackConfig,
    stackConfig: Record<string, string>,
  ): Promise<PackAnalysis>;
  close(): Promise<void>;
}

/** A process per program run and per pack. */
function processEngines(packDir: string): Engines {
  return {
    runProgram: (stack, stacksDir) =>
      runProgramChild(programEntry, (out) => [stack, out, stacksDir]),
    analyze: (stack, resources, packConfig, stackConfig) =>
      analyzeWithPack(stack, resources, packConfig, { packDir, stackConfig }),
    close: async () => {},
  };
}

/** Long-lived workers and packs, this call's own unless the caller lends them. */
function pooledEngines(size: number, packDir: string, lent?: CheckPools): Engines {
  const programs = lent?.programs ?? new ProgramPool(size);
  const packs = lent?.packs ?? new PackPool(packDir, size);
  return {
    runProgram: (stack, stacksDir) =>
      programs.run({
        module: programModule,
        export: "runProgramUnderMocks",
        args: { stack, preview: true, stacksDir },
      }),
    analyze: (stack, resources, packConfig, stackConfig) =>
      packs.analyze(stack, resources, packConfig, stackConfig),
    close: async () => {
      if (!lent) await Promise.all([programs.close(), packs.close()]);
    },
  };
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
async function checkOne(
  stack: string,
  options: CheckOptions,
  engines: Engines,
): Promise<StackCheckResult> {
  const loaded = loadStack(stack, options.stacksDir);
  if (!loaded.ok) {
    return failed(stack, { failures: ["invalid config"], configProblems: loaded.problems });
  }
  const run = await engines.runProgram(stack, options.stacksDir);
  options.onProgramRun?.(stack, run);
  if (!run.ok) {
    return failed(stack, {
      failures: [run.crashed ? "program crashed" : "program error"],
      programError: run.error,
    });
  }
  const packConfig = mergePackConfig(packConfigFor(loaded.config), options.extraPackConfig ?? {});
  try {
    const analysis = await engines.analyze(
      stack,
      run.resources,
      packConfig,
      stackConfigStrings(stack, options.stacksDir),
    );
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

/** Checks one stack in processes of its own (no pools). */
export async function checkStack(stack: string, options: CheckOptions): Promise<StackCheckResult> {
  const engines = processEngines(options.packDir ?? defaultPackDir);
  return checkOne(stack, options, engines);
}

export interface CheckReport {
  readonly ok: boolean;
  readonly stacks: readonly StackCheckResult[];
  readonly routingDomains: RoutingDomainReport;
  readonly passed: number;
  readonly failed: number;
}

/** The routing-domain findings this shard reports: each finding once, by its reporting shard. */
function ownFindings(report: RoutingDomainReport, stacks: readonly string[], shard: Shard) {
  if (shard.count === 1) return report;
  const selected = new Set(stacks);
  const findings = report.findings.filter(
    (finding) => reportingShard(stacksNamedBy(finding), selected, shard.count) === shard.index,
  );
  return { ...report, findings };
}

/**
 * Checks the given stacks (or the shard of them `options.shard` names) and the
 * routing domains they share with every other stack of the directory.
 * @param stacks the stacks to check
 * @param all every stack of the directory (the domain check's population)
 */
export async function checkStacks(
  stacks: readonly string[],
  all: readonly string[],
  options: CheckOptions,
): Promise<CheckReport> {
  const shard = options.shard ?? wholeSelection;
  const selected = shardStacks(stacks, shard);
  const size = Math.max(1, Math.min(options.concurrency ?? 2, selected.length));
  const packDir = options.packDir ?? defaultPackDir;
  const engines =
    options.isolation === "process"
      ? processEngines(packDir)
      : pooledEngines(size, packDir, options.pools);
  let done = 0;
  let results: StackCheckResult[];
  options.onProgress?.(0, selected.length);
  try {
    // Twice the workers in flight: a worker runs the next program while its last stack is analyzed.
    const inFlight = options.isolation === "process" ? size : size * 2;
    results = await mapWithLimit(selected, inFlight, async (stack) => {
      const result = await checkOne(stack, options, engines);
      options.onProgress?.(++done, selected.length);
      return result;
    });
  } finally {
    await engines.close();
  }
  const routingDomains = ownFindings(checkDomains(options.stacksDir, all, stacks), stacks, shard);
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
