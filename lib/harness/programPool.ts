/**
 * A pool of long-lived program workers (lib/harness/programWorker.ts): each
 * loads the SDKs once and runs many jobs, one at a time, each isolated as if
 * in a process of its own (lib/harness/isolation.ts). A job the worker cannot
 * vouch for (it left promises pending, raised an unhandled rejection, threw,
 * or the worker died) runs again in a fresh process (lib/harness/jobChild.ts),
 * so the result is always what a process per job would give.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { ProgramJob } from "./isolation";
import type { ProgramRunResult } from "./programRun";
import { programTimeoutMs, runProgramChild } from "./programChild";
import type { WorkerReply, WorkerRequest } from "./programWorker";

export type { ProgramJob } from "./isolation";

export type JobResult = ProgramRunResult & { readonly crashed?: true };

const workerEntry = path.join(__dirname, "programWorker.ts");
const jobChildEntry = path.join(__dirname, "jobChild.ts");
const root = path.join(__dirname, "..", "..");

/** Runs a job in a process of its own, as every job ran before the pool. */
export function runJobInFreshProcess(job: ProgramJob): Promise<JobResult> {
  return runProgramChild(jobChildEntry, (out) => [out, JSON.stringify(job)]);
}

type Outcome =
  | { readonly kind: "result"; readonly text: string }
  | { readonly kind: "unsure"; readonly reason: string }
  | { readonly kind: "timeout"; readonly stderr: string };

/** How far back a worker's stderr is kept, for a timed-out job's message. */
const stderrKept = 64 * 1024;

/** The program's runtime dependencies (package.json `dependencies`): what every job loads. */
function runtimeDependencies(): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };
  return Object.keys(manifest.dependencies ?? {});
}

/**
 * Loads the program's dependencies before tsx is registered (a `data:` module
 * given to `--import` ahead of tsx), so they cost what they cost any Node
 * process: under tsx's loader hooks, loading the SDKs takes about twice the CPU.
 * (Not `--eval`: it makes every builtin module a global, which changes what
 * Pulumi's closure serialisation captures.)
 */
function preloadModule(): string {
  const code = [
    'import { createRequire } from "node:module";',
    `const require = createRequire(${JSON.stringify(path.join(root, "package.json"))});`,
    `for (const name of ${JSON.stringify(runtimeDependencies())}) {`,
    "  try { require(name); } catch { /* not loadable from CommonJS: jobs load it themselves */ }",
    "}",
  ].join("\n");
  return `data:text/javascript,${encodeURIComponent(code)}`;
}

class Worker {
  readonly child: ChildProcess;
  private stderr = "";
  private pending: { id: number; settle: (outcome: Outcome) => void } | undefined;
  private nextId = 0;
  exited = false;

  constructor() {
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const tsx = pathToFileURL(require.resolve("tsx")).href;
    this.child = spawn(
      process.execPath,
      ["--import", preloadModule(), "--import", tsx, workerEntry],
      { cwd: root, env, stdio: ["ignore", "ignore", "pipe", "ipc"] },
    );
    this.child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-stderrKept);
    });
    this.child.on("message", (reply: WorkerReply) => {
      if (!this.pending || reply.id !== this.pending.id) return;
      const { settle } = this.pending;
      this.pending = undefined;
      settle(
        "result" in reply
          ? { kind: "result", text: reply.result }
          : reply.unsure !== undefined
            ? { kind: "unsure", reason: reply.unsure }
            : { kind: "unsure", reason: "no reply" },
      );
    });
    const gone = (reason: string) => {
      this.exited = true;
      const pending = this.pending;
      this.pending = undefined;
      pending?.settle({ kind: "unsure", reason });
    };
    this.child.once("exit", (code, signal) => gone(`the worker exited (${signal ?? code})`));
    this.child.once("error", (error) => gone(`the worker failed: ${error.message}`));
  }

  run(job: ProgramJob): Promise<Outcome> {
    const id = ++this.nextId;
    const stderrBefore = this.stderr.length;
    return new Promise<Outcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve({ kind: "timeout", stderr: this.stderr.slice(stderrBefore) });
        this.stop();
      }, programTimeoutMs);
      this.pending = {
        id,
        settle: (outcome) => {
          clearTimeout(timer);
          resolve(outcome);
        },
      };
      const request: WorkerRequest = { id, job };
      this.child.send(request, (error) => {
        if (error)
          this.pending?.settle({ kind: "unsure", reason: `could not send: ${error.message}` });
      });
    });
  }

  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill();
    return exited;
  }
}

export interface PoolStats {
  /** Jobs a worker answered. */
  warm: number;
  /** Jobs run again in a fresh process, and why. */
  fresh: { job: ProgramJob; reason: string }[];
}

/** Long-lived program workers, at most `size`, started when work arrives. */
export class ProgramPool {
  private readonly idle: Worker[] = [];
  private readonly all = new Set<Worker>();
  private readonly waiting: ((worker: Worker) => void)[] = [];
  private closed = false;
  readonly stats: PoolStats = { warm: 0, fresh: [] };

  constructor(readonly size = 2) {
    if (!Number.isInteger(size) || size < 1)
      throw new Error(`pool size ${size} is not a positive integer`);
  }

  private acquire(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error("the program pool is closed"));
    const worker = this.idle.pop();
    if (worker) return Promise.resolve(worker);
    if (this.all.size < this.size) {
      const started = new Worker();
      this.all.add(started);
      return Promise.resolve(started);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(worker: Worker): void {
    if (worker.exited || this.closed) {
      this.all.delete(worker);
      void worker.stop();
      // A place is free again: start a worker for whoever waits.
      const next = this.waiting.shift();
      if (next && !this.closed) {
        const started = new Worker();
        this.all.add(started);
        next(started);
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }

  /** Runs a job on a warm worker; what the worker cannot vouch for runs in a fresh process. */
  async run(job: ProgramJob): Promise<JobResult> {
    const worker = await this.acquire();
    let outcome: Outcome;
    try {
      outcome = await worker.run(job);
    } finally {
      this.release(worker);
    }
    if (outcome.kind === "result") {
      this.stats.warm += 1;
      return JSON.parse(outcome.text) as ProgramRunResult;
    }
    if (outcome.kind === "timeout") {
      const tail = outcome.stderr.trim().split("\n").slice(-10).join("\n");
      const reason = `did not finish within ${programTimeoutMs / 1000} s`;
      return {
        ok: false,
        crashed: true,
        error: `the program run ${reason}${tail ? `:\n${tail}` : ""}`,
        resources: [],
      };
    }
    this.stats.fresh.push({ job, reason: outcome.reason });
    return runJobInFreshProcess(job);
  }

  /** Stops every worker; resolves once they have exited. */
  async close(): Promise<void> {
    this.closed = true;
    this.idle.length = 0;
    await Promise.all([...this.all].map((worker) => worker.stop()));
    this.all.clear();
  }
}
