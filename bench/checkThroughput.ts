/**
 * `npm run check` throughput: the marginal CPU of one more stack, against the
 * CPU of starting one Node process that loads @pulumi/pulumi, @pulumi/aws and
 * @pulumi/kubernetes (what any process-per-stack design pays per stack at
 * least), both measured in the same run.
 *
 * CPU, not wall time: other work on the machine stretches wall time, not the
 * CPU a run needs. A run's CPU is read from this process's reaped-children
 * times (/proc/self/stat cutime + cstime), which hold the check process and
 * every worker and pack it started and waited for. The marginal is the
 * difference between checking `large` and `small` generated stacks (both at
 * least the worker count, so both start the same workers and packs) divided
 * by the difference in stacks; the median over the rounds is reported, and
 * the floor is the median of as many process starts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { generateStacks } from "./stackGenerator";

const repoRoot = path.resolve(__dirname, "..");

export interface CheckThroughputResult {
  readonly small: number;
  readonly large: number;
  readonly rounds: number;
  /** CPU seconds of each round's small and large check. */
  readonly samples: { readonly small: readonly number[]; readonly large: readonly number[] };
  /** Median marginal CPU seconds per stack. */
  readonly marginalSeconds: number;
  /** Median CPU seconds of a process loading the three SDKs. */
  readonly floorSeconds: number;
  readonly floorSamples: readonly number[];
  /** marginalSeconds / floorSeconds. */
  readonly ratio: number;
  /** The target ratio, 1. */
  readonly target: number;
}

export interface CheckThroughputOptions {
  /** Stacks in the small and the large run; defaults 4 and 16. */
  readonly small?: number;
  readonly large?: number;
  /** Rounds (small, large and a floor sample each); default 3. */
  readonly rounds?: number;
}

/** User + system CPU seconds of every child this process has reaped so far. */
export function reapedChildrenCpuSeconds(): number {
  const stat = fs.readFileSync("/proc/self/stat", "utf8");
  // Fields after the command name (which may hold spaces): state is field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const clockTicksPerSecond = 100; // USER_HZ, fixed for /proc on Linux
  return (Number(fields[16 - 3]) + Number(fields[17 - 3])) / clockTicksPerSecond;
}

/** Runs a command to completion and returns the CPU seconds it and its children used. */
function cpuOf(args: readonly string[], what: string): number {
  const before = reapedChildrenCpuSeconds();
  const result = spawnSync(process.execPath, args, { cwd: repoRoot, encoding: "utf8" });
  const used = reapedChildrenCpuSeconds() - before;
  if (result.status !== 0) {
    throw new Error(
      `${what} exited with ${result.status}: ${(result.stderr || result.stdout).slice(-2000)}`,
    );
  }
  return used;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** The floor: a Node process that loads the three SDKs and exits. */
function processStartCpu(): number {
  const load = ["@pulumi/pulumi", "@pulumi/aws", "@pulumi/kubernetes"]
    .map((name) => `require(${JSON.stringify(name)});`)
    .join(" ");
  return cpuOf(["--eval", load], "the SDK-loading process");
}

function checkCpu(directory: string): number {
  const script = path.join(repoRoot, "scripts", "check.ts");
  return cpuOf(
    ["--import", "tsx", script, "--all", "--json", "--stacks-dir", directory],
    `npm run check over ${directory}`,
  );
}

export function measureCheckThroughput(
  options: CheckThroughputOptions = {},
): CheckThroughputResult {
  const small = options.small ?? 4;
  const large = options.large ?? 16;
  const rounds = options.rounds ?? 3;
  if (large <= small) throw new Error(`large (${large}) must exceed small (${small})`);
  const directories = { small: generateStacks(small), large: generateStacks(large) };
  try {
    const samples = { small: [] as number[], large: [] as number[] };
    const floorSamples: number[] = [];
    const marginals: number[] = [];
    // Interleaved, so load from other work on the machine touches every series alike.
    for (let round = 0; round < rounds; round++) {
      floorSamples.push(processStartCpu());
      samples.small.push(checkCpu(directories.small));
      samples.large.push(checkCpu(directories.large));
      marginals.push((samples.large[round] - samples.small[round]) / (large - small));
    }
    const marginalSeconds = median(marginals);
    const floorSeconds = median(floorSamples);
    return {
      small,
      large,
      rounds,
      samples,
      marginalSeconds,
      floorSeconds,
      floorSamples,
      ratio: marginalSeconds / floorSeconds,
      target: 1,
    };
  } finally {
    for (const directory of Object.values(directories)) {
      fs.rmSync(directory, { recursive: true, force: true });
    }
  }
}
