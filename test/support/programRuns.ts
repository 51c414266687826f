/**
 * The example stacks' program runs (test/support/runProgram.ts, preview and
 * update), shared by the test files that read them: the golden stacks, the pack
 * over the program, the cloud integration. Each run happens once per content of
 * the repository: a run is stored under a key hashed from every source, stack,
 * lock and support file (never the *.test.ts files themselves) plus the run's
 * arguments and the Node version, so any change to what a run could depend on
 * runs it afresh. Runs that are missing go to warm program workers, which
 * test/checkEquivalence.test.ts shows record what a process per run records.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { mapWithLimit, programTimeoutMs } from "../../lib/harness/programChild";
import { ProgramPool } from "../../lib/harness/programPool";
import type { ProgramRunResult } from "../../lib/harness/programRun";

export type RunMode = "preview" | "update";

const root = path.join(__dirname, "..", "..");
const entry = path.join(__dirname, "runProgram.ts");
const skipped = new Set(["node_modules", ".git", "out", "bin", "golden", "docs", ".pulumi"]);
const hashed = /\.(ts|js|json|yaml|yml|sh)$/;

/** Every file a program run could depend on, hashed in a stable order. */
function contentKey(): string {
  const hash = createHash("sha256").update(process.version);
  const walk = (directory: string) => {
    for (const entry of fs
      .readdirSync(directory, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const full = path.join(directory, entry.name);
      if (entry.isDirectory()) {
        if (!skipped.has(entry.name)) walk(full);
      } else if (hashed.test(entry.name) && !entry.name.endsWith(".test.ts")) {
        hash.update(path.relative(root, full)).update("\0").update(fs.readFileSync(full));
      }
    }
  };
  walk(root);
  return hash.digest("hex").slice(0, 32);
}

let key: string | undefined;
const cacheDirectory = () =>
  path.join(
    os.tmpdir(),
    `calico-cluster-program-runs-${os.userInfo().uid}`,
    (key ??= contentKey()),
  );
const cacheFile = (stack: string, mode: RunMode) =>
  path.join(cacheDirectory(), `${encodeURIComponent(stack)}.${mode}.json`);

function stored(stack: string, mode: RunMode): ProgramRunResult | undefined {
  try {
    return JSON.parse(fs.readFileSync(cacheFile(stack, mode), "utf8")) as ProgramRunResult;
  } catch {
    return undefined;
  }
}

function store(stack: string, mode: RunMode, result: ProgramRunResult): void {
  const file = cacheFile(stack, mode);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Written whole, then renamed: a concurrent reader sees all of it or nothing.
  const partial = `${file}.${process.pid}.partial`;
  fs.writeFileSync(partial, JSON.stringify(result));
  fs.renameSync(partial, file);
}

/** Claims a run for this process; false when another process is running it. */
function claim(stack: string, mode: RunMode): boolean {
  fs.mkdirSync(cacheDirectory(), { recursive: true });
  const lock = `${cacheFile(stack, mode)}.lock`;
  try {
    fs.mkdirSync(lock);
  } catch {
    return false;
  }
  fs.writeFileSync(path.join(lock, "pid"), String(process.pid));
  return true;
}

/** Whether the process holding the lock is gone (killed mid-run), leaving the lock behind. */
function abandoned(lock: string): boolean {
  try {
    const pid = Number(fs.readFileSync(path.join(lock, "pid"), "utf8"));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

const release = (stack: string, mode: RunMode) =>
  fs.rmSync(`${cacheFile(stack, mode)}.lock`, { recursive: true, force: true });

/** Waits for another process's run; undefined if it never lands (that process died). */
async function awaitOther(stack: string, mode: RunMode): Promise<ProgramRunResult | undefined> {
  const deadline = Date.now() + programTimeoutMs;
  while (Date.now() < deadline) {
    const found = stored(stack, mode);
    if (found) return found;
    const lock = `${cacheFile(stack, mode)}.lock`;
    if (!fs.existsSync(lock)) return stored(stack, mode);
    if (abandoned(lock)) {
      fs.rmSync(lock, { recursive: true, force: true });
      return stored(stack, mode);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

/** The runs of these stacks in these modes, by `${stack}/${mode}`. */
export async function programRuns(
  stacks: readonly string[],
  modes: readonly RunMode[],
): Promise<Map<string, ProgramRunResult>> {
  const runs = new Map<string, ProgramRunResult>();
  const mine: { stack: string; mode: RunMode }[] = [];
  const others: { stack: string; mode: RunMode }[] = [];
  for (const stack of stacks) {
    for (const mode of modes) {
      const found = stored(stack, mode);
      if (found) runs.set(`${stack}/${mode}`, found);
      else (claim(stack, mode) ? mine : others).push({ stack, mode });
    }
  }
  const run = async (jobs: readonly { stack: string; mode: RunMode }[]) => {
    if (jobs.length === 0) return;
    const pool = new ProgramPool(Math.min(2, jobs.length));
    try {
      await mapWithLimit(jobs, 2, async ({ stack, mode }) => {
        const job = { module: entry, export: "runTestProgram", args: { stack, mode } };
        const result = await pool.run(job);
        // A crashed worker's result is a failure to report, not a run to keep.
        if (!("crashed" in result)) store(stack, mode, result);
        runs.set(`${stack}/${mode}`, result);
      });
    } finally {
      await pool.close();
    }
  };
  try {
    await run(mine);
  } finally {
    for (const { stack, mode } of mine) release(stack, mode);
  }
  const orphaned: { stack: string; mode: RunMode }[] = [];
  for (const { stack, mode } of others) {
    const found = await awaitOther(stack, mode);
    if (found) runs.set(`${stack}/${mode}`, found);
    else orphaned.push({ stack, mode });
  }
  await run(orphaned);
  return runs;
}
