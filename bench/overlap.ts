/**
 * Overlap detection over many random CIDRs against the time of sorting the same
 * ranges, the floor for any detection that does not compare every pair.
 */
import { performance } from "node:perf_hooks";
import { type Cidr, cidrFrom, compareCidrs, findOverlaps, parseCidr } from "../policy/rules/cidr";

/** Small deterministic PRNG (mulberry32) so every run measures the same ranges. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random strictly masked IPv4 CIDRs from /16 (the largest VPC) to /30, as text (what the rules receive). */
export function randomCidrTexts(count: number, seed = 42): string[] {
  const next = random(seed);
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = 16 + Math.floor(next() * 15);
    const address = Math.floor(next() * 2 ** 32);
    const hostBits = BigInt(32 - prefix);
    texts.push(cidrFrom((BigInt(address) >> hostBits) << hostBits, prefix, "ipv4").text);
  }
  return texts;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function time(runs: number, work: () => void): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    work();
    samples.push(performance.now() - start);
  }
  return median(samples);
}

export interface OverlapBenchResult {
  readonly count: number;
  readonly pairs: number;
  readonly parseMs: number;
  readonly sortMs: number;
  readonly detectMs: number;
  readonly ratio: number;
}

export function benchOverlap(count = 100_000, runs = 7): OverlapBenchResult {
  const texts = randomCidrTexts(count);
  let ranges: Cidr[] = [];
  const parseMs = time(runs, () => {
    ranges = texts.map((text) => {
      const parsed = parseCidr(text);
      if (!parsed.ok) throw new Error(`bench generated an invalid CIDR ${text}`);
      return parsed.cidr;
    });
  });
  const sortMs = time(runs, () => {
    ranges.slice().sort(compareCidrs);
  });
  let pairs = 0;
  const detectMs = time(runs, () => {
    pairs = findOverlaps(ranges, (range) => range).length;
  });
  return { count, pairs, parseMs, sortMs, detectMs, ratio: detectMs / sortMs };
}
