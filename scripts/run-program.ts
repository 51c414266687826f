/**
 * Child-process entry: `tsx scripts/run-program.ts <stack> <out.json> [stacks-dir]`
 * runs the program for one stack in preview mode under the mock engine and writes
 * `{ ok, error?, resources }` to the output file. Exit 0 even when the program
 * refuses its config: the caller reports that.
 */
import * as fs from "node:fs";
import { runProgramUnderMocks } from "../lib/harness/programRun";

async function main(): Promise<void> {
  const [stack, out, stacksDir] = process.argv.slice(2);
  if (!stack || !out) {
    console.error("usage: tsx scripts/run-program.ts <stack> <out.json> [stacks-dir]");
    process.exitCode = 2;
    return;
  }
  const result = await runProgramUnderMocks({ stack, preview: true, stacksDir });
  fs.writeFileSync(out, JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
