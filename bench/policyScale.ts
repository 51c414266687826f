/**
 * AnalyzeStack at scale: our compiled pack against a reading-only pack (one stack
 * policy that reads every property of every resource, launched the same way) on
 * generated clean stacks of 1k, 10k, 20k and 40k resources, in update and
 * preview form, both over the Analyzer protocol. Targets: within 2x of the
 * reading-only pack at 20k, and the ratio flat (its largest no more than 1.5x
 * its smallest) from 1k to 40k: the pack grows as reading the stack does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type PolicyPackProcess, startPolicyPack } from "../lib/analyzer/client";
import { type StackMode, largeStack } from "./largeStack";
import { createScratchPack } from "./scratchPack";

export interface ScalePoint {
  readonly size: number;
  readonly mode: StackMode;
  /** Median milliseconds of our pack's AnalyzeStack. */
  readonly packMs: number;
  /** Median milliseconds of the reading-only pack's AnalyzeStack. */
  readonly readingMs: number;
  readonly ratio: number;
  /** Diagnostics our pack reported (the generated stacks are clean: expected 0). */
  readonly diagnostics: number;
}

export interface PolicyScaleOptions {
  readonly sizes?: readonly number[];
  readonly modes?: readonly StackMode[];
  /** Measured runs per size, mode and pack (the median counts); default 3. */
  readonly runs?: number;
  readonly packDir?: string;
}

const repoRoot = path.resolve(__dirname, "..");

/** The floor: a stack policy that reads everything and concludes nothing. */
const readingOnlyPack = `const { PolicyPack } = require("@pulumi/policy");
function read(value, depth) {
  if (depth > 64 || value === null || typeof value !== "object") return 1;
  let count = 0;
  try {
    for (const key of Object.keys(value)) {
      try { count += read(value[key], depth + 1); } catch { count++; }
    }
  } catch { count++; }
  return count;
}
new PolicyPack("reading-only", {
  policies: [{
    name: "read-everything",
    description: "Reads every property of every resource.",
    enforcementLevel: "advisory",
    validateStack: (args) => {
      let count = 0;
      for (const resource of args.resources) {
        count += read(resource.props, 0) + resource.dependencies.length;
        for (const refs of Object.values(resource.propertyDependencies)) count += refs.length;
      }
      if (count < 0) throw new Error("unreachable");
    },
  }],
});
`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timed(
  pack: PolicyPackProcess,
  resources: Parameters<PolicyPackProcess["analyzeStack"]>[0],
) {
  const started = process.hrtime.bigint();
  const result = await pack.analyzeStack(resources);
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, result };
}

export async function measurePolicyScale(options: PolicyScaleOptions = {}): Promise<ScalePoint[]> {
  const sizes = options.sizes ?? [1_000, 10_000, 20_000, 40_000];
  const modes = options.modes ?? ["update", "preview"];
  const runs = options.runs ?? 3;
  const packDir = options.packDir ?? path.join(repoRoot, "policy");
  const main = path.join(packDir, "bin", "index.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build:policy first`);
  const readingDir = createScratchPack("reading-only-pack", readingOnlyPack, packDir);
  const context = { project: "bench", stack: "large", dryRun: true };
  const started: PolicyPackProcess[] = [];
  try {
    const ours = (await startPolicyPack({ packDir, stack: context })).pack;
    started.push(ours);
    const reading = (await startPolicyPack({ packDir: readingDir, stack: context })).pack;
    started.push(reading);
    const points: ScalePoint[] = [];
    for (const mode of modes) {
      for (const size of sizes) {
        const resources = largeStack(size, mode);
        if (size <= 10_000) {
          // Warm-up (JIT); the largest stacks run after the smaller ones have warmed both packs.
          await timed(ours, resources);
          await timed(reading, resources);
        }
        const packSamples: number[] = [];
        const readingSamples: number[] = [];
        let diagnostics = 0;
        // Alternate so background load hits both packs alike.
        for (let run = 0; run < runs; run++) {
          const mine = await timed(ours, resources);
          diagnostics = mine.result.diagnostics.length;
          packSamples.push(mine.ms);
          readingSamples.push((await timed(reading, resources)).ms);
        }
        const packMs = median(packSamples);
        const readingMs = median(readingSamples);
        points.push({
          size: resources.length,
          mode,
          packMs,
          readingMs,
          ratio: packMs / readingMs,
          diagnostics,
        });
      }
    }
    return points;
  } finally {
    for (const pack of started) await pack.close();
    fs.rmSync(readingDir, { recursive: true, force: true });
  }
}

/** Targets, per mode: the ratio at 20k resources, and the spread of the ratio over all sizes. */
export const scaleTargets = { ratioAt20k: 2, flatness: 1.5 } as const;
