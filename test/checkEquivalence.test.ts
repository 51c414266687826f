/**
 * Warm runs report what fresh processes report. `npm run check` runs programs
 * on long-lived workers and reuses packs across stacks; this runs the same
 * stacks (every example stack, whatever they declare today, and variants that
 * fail in each way) both ways and compares every program run (each resource
 * with its inputs), the whole report and its text. The warm side is one worker
 * running the stacks back to back, so nothing of one stack may reach the next.
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
import { PackPool } from "../lib/check/packPool";
import { type CheckReport, checkStacks, defaultPackDir } from "../lib/check/stackCheck";
import { ProgramPool } from "../lib/harness/programPool";
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
  it("the same program runs, report and text for every example stack and failing variants, one worker running them back to back", async () => {
    const options = { stacksDir: directory, extraPackConfig: {} };
    const runs = { fresh: new Map<string, unknown>(), warm: new Map<string, unknown>() };
    const fresh = await checkStacks(stacks, stacks, {
      ...options,
      isolation: "process",
      onProgramRun: (stack, run) => runs.fresh.set(stack, run),
    });
    // One worker and one pack for every stack, so each stack's run follows another's.
    const pools = { programs: new ProgramPool(1), packs: new PackPool(defaultPackDir, 1) };
    let warm: CheckReport;
    try {
      warm = await checkStacks(stacks, stacks, {
        ...options,
        isolation: "worker",
        concurrency: 1,
        pools,
        onProgramRun: (stack, run) => runs.warm.set(stack, run),
      });
    } finally {
      await Promise.all([pools.programs.close(), pools.packs.close()]);
    }
    // Every resource of every run: nothing of one stack reached the next.
    assert.deepEqual(pools.programs.stats.fresh, [], "a run fell back to a fresh process");
    assert.deepEqual([...runs.warm.keys()].sort(), [...runs.fresh.keys()].sort());
    for (const [stack, run] of runs.fresh) assert.deepEqual(runs.warm.get(stack), run, stack);
    assert.deepEqual(warm, fresh);
    assert.equal(formatReport(warm, defaultPackDir), formatReport(fresh, defaultPackDir));
    // The comparison means something: programs ran and every failure kind is there.
    const byStack = new Map(warm.stacks.map((result) => [result.stack, result]));
    assert.ok(exampleStacks.every((stack) => (byStack.get(stack)?.resourceCount ?? 0) > 0));
    assert.equal(pools.programs.stats.warm, exampleStacks.length + 1);
    assert.deepEqual(byStack.get("refused")?.failures, ["program error"]);
    assert.deepEqual(byStack.get("invalid")?.failures, ["invalid config"]);
  });
});
