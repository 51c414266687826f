/**
 * Policy pack startup: time from spawn until the pack prints its port, for our
 * compiled pack and for an empty pack launched the same way (run-policy-pack, the
 * pack directory as working directory, the same tsconfig and node_modules). The
 * CLI waits for that port before the preview can start, in every team's CI run.
 * Target: ours within 1.2x of the empty pack, i.e. no provider SDK or other heavy
 * module on the pack's import path.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { launchPolicyPack } from "../lib/analyzer/client";
import { createScratchPack } from "./scratchPack";

export interface PolicyStartupResult {
  /** Median milliseconds until our pack printed its port. */
  readonly packMs: number;
  /** Median milliseconds for the empty pack. */
  readonly emptyPackMs: number;
  /** packMs / emptyPackMs. */
  readonly ratio: number;
  /** The target ratio, 1.2. */
  readonly target: number;
  readonly runs: number;
  readonly samples: { readonly pack: readonly number[]; readonly emptyPack: readonly number[] };
}

export interface PolicyStartupOptions {
  /** Measured runs per pack (after one warm-up each); default 7. */
  readonly runs?: number;
  /** The compiled pack; default the repo's policy/ (run `npm run build:policy` first). */
  readonly packDir?: string;
}

const repoRoot = path.resolve(__dirname, "..");

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function timeToReady(packDir: string): Promise<number> {
  const pack = await launchPolicyPack({ packDir });
  await pack.close();
  return pack.startupMs;
}

/** Measures both packs, alternating runs so background load hits both alike. */
export async function measurePolicyStartup(
  options: PolicyStartupOptions = {},
): Promise<PolicyStartupResult> {
  const runs = options.runs ?? 7;
  const packDir = options.packDir ?? path.join(repoRoot, "policy");
  const main = path.join(packDir, "bin", "index.js");
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run npm run build:policy first`);
  const emptyDir = createScratchPack(
    "empty-policy-pack",
    'const { PolicyPack } = require("@pulumi/policy");\nnew PolicyPack("empty-policy-pack", { policies: [] });\n',
    packDir,
  );
  try {
    await timeToReady(packDir);
    await timeToReady(emptyDir);
    const pack: number[] = [];
    const emptyPack: number[] = [];
    for (let run = 0; run < runs; run++) {
      pack.push(await timeToReady(packDir));
      emptyPack.push(await timeToReady(emptyDir));
    }
    const packMs = median(pack);
    const emptyPackMs = median(emptyPack);
    return {
      packMs,
      emptyPackMs,
      ratio: packMs / emptyPackMs,
      target: 1.2,
      runs,
      samples: { pack, emptyPack },
    };
  } finally {
    fs.rmSync(emptyDir, { recursive: true, force: true });
  }
}
