/**
 * Child-process entry for tests: `tsx test/support/runProgram.ts <stack>
 * <preview|update> <out.json> [stacks-dir]` runs the program (index.ts) for one
 * stack under the mock engine and writes `{ ok, error?, resources }`. Update mode
 * uses clusterMockState, so the program computes on real certificates and keys as
 * it would after `pulumi up` creates them.
 */
import * as fs from "node:fs";
import { type ProgramRunResult, runProgramUnderMocks } from "../../lib/harness/programRun";
import { clusterMockState } from "./clusterMocks";

/** One program run: preview, or update with clusterMockState (a program worker's job too). */
export function runTestProgram(args: {
  stack: string;
  mode: "preview" | "update";
  stacksDir?: string;
}): Promise<ProgramRunResult> {
  const preview = args.mode === "preview";
  return runProgramUnderMocks({
    stack: args.stack,
    preview,
    stacksDir: args.stacksDir,
    state: preview ? undefined : clusterMockState,
  });
}

async function main(): Promise<void> {
  const [stack, mode, out, stacksDir] = process.argv.slice(2);
  if (!stack || (mode !== "preview" && mode !== "update") || !out) {
    console.error(
      "usage: tsx test/support/runProgram.ts <stack> <preview|update> <out.json> [stacks-dir]",
    );
    process.exitCode = 2;
    return;
  }
  fs.writeFileSync(out, JSON.stringify(await runTestProgram({ stack, mode, stacksDir })));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  });
}
