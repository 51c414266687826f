/**
 * Runs one program job after another in the same process as if each had a
 * process of its own, so the SDKs (@pulumi/pulumi, @pulumi/aws,
 * @pulumi/kubernetes: most of a program run's CPU) load once.
 *
 * What a fresh process would give each run, and how it is given here:
 * - Pulumi's runtime state (settings, config, the mock monitor, feature flags,
 *   the stack resource, the RPC queue, leak candidates, the log's error count)
 *   lives in one `Store` (runtime/state.ts), the global store when no
 *   AsyncLocalStorage context is active. Each job gets a new `LocalStore`, built
 *   from the environment as a fresh process builds its own, as the global
 *   store. Carried over are only the SDKs' resource-module and package
 *   registries, which the provider SDKs fill once, when they load, and which no
 *   stack changes. (The SDK's own multi-program mode, `withLocalStorage` as in
 *   the Automation API's inline programs, does the same through
 *   AsyncLocalStorage, whose promise hooks cost ~15% more CPU per run.) What
 *   stays module-level in the SDK is stack-independent: the gRPC clients a
 *   mock run never makes, a debug counter, and the serialisation chain, unused
 *   unless `parallel` is 1.
 * - The program's own modules (index.ts, components/, lib/, test support) are
 *   dropped from the require cache before each job, so index.ts declares its
 *   resources again and no module-level state carries over. Modules under
 *   node_modules stay loaded: that is the saving.
 * - `process.env` is restored after each job.
 * What a fresh process would notice only on its way out (promises still
 * pending: the leak check of runtime/debuggable.ts fails the process) is
 * checked after the job, and so is every unhandled rejection or uncaught
 * exception during it: the job is then "unsure" and the caller runs it again
 * in a fresh process, so what it reports is what a fresh process reports.
 */
import * as path from "node:path";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import * as state from "@pulumi/pulumi/runtime/state";
import type { ProgramRunResult } from "./programRun";

const root = path.join(__dirname, "..", "..");

/** A job: an exported async function of a module, and its (JSON) argument. */
export interface ProgramJob {
  /** Absolute path of the module (TypeScript, loaded with tsx). */
  readonly module: string;
  /** The exported function's name; it returns a `ProgramRunResult`. */
  readonly export: string;
  readonly args: unknown;
}

type JobFunction = (args: unknown) => Promise<ProgramRunResult>;

/** `leakedPromises` is exported by runtime/debuggable but marked internal. */
const runtimeDebuggable = debuggable as typeof debuggable & {
  leakedPromises(): [Set<Promise<unknown>>, string];
};

const isProjectModule = (file: string) =>
  file.startsWith(root + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`);

/** Drops this repository's modules (not its node_modules) from the require cache. */
export function forgetProjectModules(): void {
  for (const file of Object.keys(require.cache)) {
    if (isProjectModule(file)) delete require.cache[file];
  }
}

/** Loads a job's function from a freshly loaded copy of its module. */
function jobFunction(job: ProgramJob): JobFunction {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(job.module) as Record<string, unknown>;
  const run = loaded[job.export];
  if (typeof run !== "function") throw new Error(`${job.module} exports no ${job.export}()`);
  return run as JobFunction;
}

/** Runs a job the way a fresh process runs it: the result, or why a fresh process must. */
export type IsolatedOutcome =
  | { readonly kind: "result"; readonly result: ProgramRunResult }
  | { readonly kind: "unsure"; readonly reason: string };

/** Lets the callbacks and rejections that a fresh process would still run before exit run. */
const drain = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

interface Registries {
  resourcePackages?: unknown;
  resourceModules?: unknown;
}

/** runtime/state's store class and the global it lives in (both internal to the SDK). */
const sdkState = state as unknown as { LocalStore: new () => Registries };
const sdkGlobal = globalThis as unknown as { globalStore?: Registries };

/** A new global store, as a fresh process would create it, keeping the SDKs' registries. */
function freshPulumiStore(): void {
  const previous = sdkGlobal.globalStore;
  const store = new sdkState.LocalStore();
  if (previous) {
    store.resourcePackages = previous.resourcePackages;
    store.resourceModules = previous.resourceModules;
  }
  sdkGlobal.globalStore = store;
}

/**
 * Runs a job in a fresh Pulumi store with fresh project modules. Never call it
 * twice at once in one process: the store, the require cache and `process.env`
 * are global.
 * @param trouble set by the caller's process-wide handlers when an unhandled
 *   rejection or uncaught exception happened during this job
 */
export async function runIsolated(
  job: ProgramJob,
  trouble: () => string | undefined = () => undefined,
): Promise<IsolatedOutcome> {
  const env = { ...process.env };
  forgetProjectModules();
  freshPulumiStore();
  try {
    let result: ProgramRunResult;
    try {
      result = await jobFunction(job)(job.args);
    } catch (error) {
      // A fresh process would exit non-zero: the caller's fresh run reports that.
      return { kind: "unsure", reason: `the job threw: ${String(error)}` };
    }
    await drain();
    const [leaks] = runtimeDebuggable.leakedPromises();
    if (leaks.size > 0) return { kind: "unsure", reason: `${leaks.size} promises still pending` };
    const problem = trouble();
    if (problem !== undefined) return { kind: "unsure", reason: problem };
    return { kind: "result", result };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in env)) delete process.env[key];
    Object.assign(process.env, env);
    forgetProjectModules();
  }
}
