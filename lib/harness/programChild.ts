/**
 * Runs the program in child processes: Pulumi's runtime is process-global, so
 * each stack (and each mode, in tests) needs a process of its own. The entry
 * (`scripts/run-program.ts`, or a test's) writes a `ProgramRunResult` to a file.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { ProgramRunResult } from "./programRun";

const root = path.join(__dirname, "..", "..");

/** Program runs that take longer than this are reported as failures. */
export const programTimeoutMs = 180_000;

/**
 * Runs a program entry (`scripts/run-program.ts` or a test's) in a child process
 * under tsx and reads the `ProgramRunResult` it writes.
 * @param entry the TypeScript file to run
 * @param argsFor its arguments, given the output file it must write
 * @returns the result; a crash or timeout becomes `ok: false` with the child's stderr
 */
export async function runProgramChild(
  entry: string,
  argsFor: (outFile: string) => readonly string[],
): Promise<ProgramRunResult & { readonly crashed?: true }> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "program-run-"));
  const outFile = path.join(directory, "result.json");
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  try {
    const child = spawn(
      process.execPath,
      ["--import", pathToFileURL(require.resolve("tsx")).href, entry, ...argsFor(outFile)],
      { cwd: root, env, stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill(), programTimeoutMs);
    const code = await new Promise<number | null>((resolve) => {
      child.once("error", () => resolve(null));
      child.once("exit", (exitCode) => resolve(exitCode));
    });
    clearTimeout(timer);
    if (code === 0 && fs.existsSync(outFile)) {
      return JSON.parse(fs.readFileSync(outFile, "utf8")) as ProgramRunResult;
    }
    const reason =
      code === null
        ? `did not finish within ${programTimeoutMs / 1000} s`
        : `exited with code ${code}`;
    const tail = stderr.trim().split("\n").slice(-10).join("\n");
    const error = `the program run ${reason}${tail ? `:\n${tail}` : ""}`;
    return { ok: false, crashed: true, error, resources: [] };
  } finally {
    fs.rmSync(directory, { recursive: true, force: true });
  }
}

/** Runs `work` over `items`, at most `limit` at once; results in input order. */
export async function mapWithLimit<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
