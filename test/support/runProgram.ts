/**
 * Child-process entry for tests: `tsx test/support/runProgram.ts <stack>
 * <preview|update> <out.json> [stacks-dir]` runs the program (index.ts) for one
 * stack under the mock engine and writes `{ ok, error?, resources }`. Update mode
 * uses clusterMockState, so the program computes on real certificates and keys as
 * it would after `pulumi up` creates them.
 */
import * as fs from "node:fs";
import { runProgramUnderMocks } from "../../lib/harness/programRun";
import { clusterMockState } from "./clusterMocks";

async function main(): Promise<void> {
  const [stack, mode, out, stacksDir] = process.argv.slice(2);
  if (!stack || (mode !== "preview" && mode !== "update") || !out) {
    console.error(
      "usage: tsx test/support/runProgram.ts <stack> <preview|update> <out.json> [stacks-dir]",
    );
    process.exitCode = 2;
    return;
  }
  const preview = mode === "preview";
  const result = await runProgramUnderMocks({
    stack,
    preview,
    stacksDir,
    state: preview ? undefined : clusterMockState,
  });
  fs.writeFileSync(out, JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
