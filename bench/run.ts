/**
 * `npm run bench`: prints each measurement next to its floor and target, and
 * exits non-zero when a target is missed.
 */
import { benchOverlap } from "./overlap";

interface Row {
  readonly name: string;
  readonly measured: string;
  readonly floor: string;
  readonly ratio: number;
  readonly target: number;
}

function main(): void {
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

main();
