/**
 * `npm run bench`: prints each measurement next to its floor and target, and
 * exits non-zero when a target is missed.
 */
import { measureCheckThroughput } from "./checkThroughput";
import { benchOverlap } from "./overlap";
import { measurePolicyScale, scaleTargets } from "./policyScale";
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

  const scale = await measurePolicyScale();
  console.log(
    "policy pack AnalyzeStack over the protocol vs a reading-only stack policy (generated clean stacks, median):",
  );
  for (const point of scale) {
    console.log(
      `  ${point.mode} ${point.size.toLocaleString("en-US")} resources: ${point.packMs.toFixed(0)} ms against ${point.readingMs.toFixed(0)} ms = ${point.ratio.toFixed(2)}x${point.diagnostics > 0 ? ` (${point.diagnostics} diagnostics on a clean stack!)` : ""}`,
    );
  }
  for (const mode of [...new Set(scale.map((point) => point.mode))]) {
    const points = scale.filter((point) => point.mode === mode);
    const at20k = points.reduce((best, point) =>
      Math.abs(point.size - 20_000) < Math.abs(best.size - 20_000) ? point : best,
    );
    rows.push({
      name: `AnalyzeStack at ${at20k.size.toLocaleString("en-US")} resources (${mode}) vs reading-only`,
      measured: `${at20k.packMs.toFixed(0)} ms`,
      floor: `${at20k.readingMs.toFixed(0)} ms`,
      // A pack that reports anything on the clean stack has missed, however fast.
      ratio: points.some((point) => point.diagnostics > 0) ? Infinity : at20k.ratio,
      target: scaleTargets.ratioAt20k,
    });
    const ratios = points.map((point) => point.ratio);
    const [low, high] = [Math.min(...ratios), Math.max(...ratios)];
    rows.push({
      name: `AnalyzeStack ratio spread ${points[0].size.toLocaleString("en-US")} to ${points[points.length - 1].size.toLocaleString("en-US")} (${mode})`,
      measured: `${high.toFixed(2)}x`,
      floor: `${low.toFixed(2)}x`,
      ratio: high / low,
      target: scaleTargets.flatness,
    });
  }

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
