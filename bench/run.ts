/**
 * `npm run bench`: prints each measurement next to its floor and target, and
 * exits non-zero when a target is missed.
 */
import { measureCheckThroughput } from "./checkThroughput";
import { benchOverlap } from "./overlap";
import { measurePolicyStartup } from "./policyStartup";

interface Row {
  readonly name: string;
  readonly measured: string;
  readonly floor: string;
  readonly ratio: number;
  readonly target: number;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const overlap = benchOverlap();
  console.log(
    `overlap detection: ${overlap.count.toLocaleString("en-US")} random CIDRs, ${overlap.pairs.toLocaleString("en-US")} overlapping pairs; parsing them took ${overlap.parseMs.toFixed(1)} ms (not counted)`,
  );
  rows.push({
    name: "overlap detection vs sort",
    measured: `${overlap.detectMs.toFixed(1)} ms`,
    floor: `${overlap.sortMs.toFixed(1)} ms`,
    ratio: overlap.ratio,
    target: 3,
  });

  const startup = await measurePolicyStartup({ runs: 9 });
  console.log(
    `policy pack startup (spawn until the port is printed, via run-policy-pack, median of ${startup.runs})`,
  );
  rows.push({
    name: "policy pack ready vs empty pack",
    measured: `${startup.packMs.toFixed(0)} ms`,
    floor: `${startup.emptyPackMs.toFixed(0)} ms`,
    ratio: startup.ratio,
    target: startup.target,
  });

  const check = measureCheckThroughput();
  console.log(
    `npm run check: ${check.small} and ${check.large} generated stacks, ${check.rounds} rounds; CPU small ${check.samples.small.map((s) => s.toFixed(1)).join("/")} s, large ${check.samples.large.map((s) => s.toFixed(1)).join("/")} s; process start ${check.floorSamples.map((s) => s.toFixed(2)).join("/")} s`,
  );
  rows.push({
    name: "check marginal CPU per stack vs process start (node + @pulumi/pulumi, aws, kubernetes)",
    measured: `${check.marginalSeconds.toFixed(2)} CPU s`,
    floor: `${check.floorSeconds.toFixed(2)} CPU s`,
    ratio: check.ratio,
    target: check.target,
  });

  let failed = false;
  for (const row of rows) {
    const ok = row.ratio <= row.target;
    failed ||= !ok;
    console.log(
      `${row.name}: ${row.measured} against ${row.floor} = ${row.ratio.toFixed(2)}x (target <= ${row.target}x) ${ok ? "ok" : "MISSED"}`,
    );
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
