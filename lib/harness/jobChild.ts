/**
 * Fresh-process entry for one program job: `tsx lib/harness/jobChild.ts
 * <out.json> <job JSON>` runs the job's function (lib/harness/isolation.ts's
 * `ProgramJob`) once, as the only program of this process, and writes its
 * `ProgramRunResult` to the file. What a program worker reports must match this.
 */
import * as fs from "node:fs";
import type { ProgramJob } from "./isolation";
import type { ProgramRunResult } from "./programRun";

async function main(): Promise<void> {
  const [out, jobText] = process.argv.slice(2);
  if (!out || !jobText) {
    console.error("usage: tsx lib/harness/jobChild.ts <out.json> <job JSON>");
    process.exitCode = 2;
    return;
  }
  const job = JSON.parse(jobText) as ProgramJob;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const run = (require(job.module) as Record<string, (args: unknown) => Promise<ProgramRunResult>>)[
    job.export
  ];
  const result = await run(job.args);
  fs.writeFileSync(out, JSON.stringify(result));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
