/**
 * Warm runs report what fresh processes report. `npm run check` runs programs
 * on long-lived workers and reuses packs across stacks; this runs the same
 * stacks (every example stack, whatever they declare today, and variants that
 * fail in each way) both ways and compares the whole report and its text. And
 * one worker running different stacks back to back must record, for each, the
 * graph a process of its own records: nothing of one stack may reach the next.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { projectName } from "../lib/config/clusterConfig";
import { stackFilePath } from "../lib/config/stackFiles";
import { formatReport } from "../lib/check/report";
import { checkStacks, defaultPackDir } from "../lib/check/stackCheck";
import { type ProgramJob, ProgramPool, runJobInFreshProcess } from "../lib/harness/programPool";
import { exampleStacks } from "./support/stacks";

const directory = fs.mkdtempSync(path.join(os.tmpdir(), "check-equivalence-"));
after(() => fs.rmSync(directory, { recursive: true, force: true }));

function copyWith(base: string, name: string, change: Record<string, unknown>) {
  const document = parseYaml(fs.readFileSync(stackFilePath(base), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, unknown> = {
    ...document.config,
    [`${projectName}:clusterName`]: name,
  };
  for (const [key, value] of Object.entries(change)) config[`${projectName}:${key}`] = value;
  fs.writeFileSync(stackFilePath(name, directory), stringify({ config }));
}

for (const stack of exampleStacks)
  fs.copyFileSync(stackFilePath(stack), stackFilePath(stack, directory));
fs.copyFileSync(
  path.join(path.dirname(stackFilePath(exampleStacks[0])), "routing-domains.yaml"),
  path.join(directory, "routing-domains.yaml"),
);
const base = exampleStacks.includes("search-dev") ? "search-dev" : exampleStacks[0];
// The program refuses a pod pool on its VPC; the schema refuses host bits.
copyWith(base, "refused", { vpcCidr: "10.90.0.0/18", podCidr: "10.90.0.0/18" });
copyWith(base, "invalid", { vpcCidr: "10.0.0.1/16" });
const stacks = [...exampleStacks, "refused", "invalid"].sort();

describe("warm workers and reused packs report what a process per stack reports", () => {
  it("the same report and text for every example stack and failing variants", async () => {
    const options = { stacksDir: directory, extraPackConfig: {} };
    const fresh = await checkStacks(stacks, stacks, { ...options, isolation: "process" });
    const warm = await checkStacks(stacks, stacks, {
      ...options,
      isolation: "worker",
      concurrency: 1,
    });
    assert.deepEqual(warm, fresh);
    assert.equal(formatReport(warm, defaultPackDir), formatReport(fresh, defaultPackDir));
    // The comparison means something: programs ran and every failure kind is there.
    const byStack = new Map(warm.stacks.map((result) => [result.stack, result]));
    assert.ok(exampleStacks.every((stack) => (byStack.get(stack)?.resourceCount ?? 0) > 0));
    assert.deepEqual(byStack.get("refused")?.failures, ["program error"]);
    assert.deepEqual(byStack.get("invalid")?.failures, ["invalid config"]);
  });

  it("one worker, different stacks back to back: each graph is the one a fresh process records", async () => {
    const job = (stack: string): ProgramJob => ({
      module: path.join(__dirname, "..", "lib", "harness", "programRun.ts"),
      export: "runProgramUnderMocks",
      args: { stack, preview: true, stacksDir: directory },
    });
    // The largest example first, then a different one: what the first leaves must not reach the second.
    const [first, second] = [...exampleStacks].sort(
      (a, b) => fs.statSync(stackFilePath(b)).size - fs.statSync(stackFilePath(a)).size,
    );
    assert.ok(second, "needs two example stacks");
    const order = [first, second];
    const pool = new ProgramPool(1);
    try {
      const warm = [];
      for (const stack of order) warm.push(await pool.run(job(stack)));
      assert.deepEqual(pool.stats.fresh, [], "a job fell back to a fresh process");
      for (const [index, stack] of order.entries()) {
        const fresh = await runJobInFreshProcess(job(stack));
        assert.deepEqual(warm[index], fresh, `${stack} (job ${index + 1} of the worker)`);
      }
    } finally {
      await pool.close();
    }
  });
});
