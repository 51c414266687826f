/**
 * `--shard K/N`: a stable share of the selected stacks, so CI can spread
 * `npm run check` over a job matrix. A stack's shard depends on its name only
 * (FNV-1a of the name, modulo N): every stack is in exactly one shard, the
 * same one on every run and machine, and adding or removing a stack moves no
 * other stack. Pure: no Pulumi imports.
 */

export interface Shard {
  /** 1-based: 1..count. */
  readonly index: number;
  readonly count: number;
}

/** The whole selection as one shard (no `--shard`). */
export const wholeSelection: Shard = { index: 1, count: 1 };

/** The most shards `--shard` accepts (a CI matrix holds at most 256 jobs). */
export const maxShards = 256;

/**
 * Parses `K/N` (1 <= K <= N <= 256).
 * @returns the shard, or a message naming the value
 */
export function parseShard(
  text: string,
): { ok: true; shard: Shard } | { ok: false; message: string } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!match || count < 1 || count > maxShards || index < 1 || index > count) {
    return {
      ok: false,
      message: `--shard ${JSON.stringify(text)} is not K/N with 1 <= K <= N <= ${maxShards} (e.g. 2/4)`,
    };
  }
  return { ok: true, shard: { index, count } };
}

/** 32-bit FNV-1a over the name's UTF-8 bytes: stable everywhere, well spread. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** The shard (1-based) a stack belongs to among `count`. */
export function shardOf(stack: string, count: number): number {
  return (fnv1a(stack) % count) + 1;
}

export const inShard = (stack: string, shard: Shard): boolean =>
  shardOf(stack, shard.count) === shard.index;

/** The stacks of one shard, in their given order. */
export function shardStacks(stacks: readonly string[], shard: Shard): string[] {
  return stacks.filter((stack) => inShard(stack, shard));
}

/** Byte order, as the reports sort. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Which shard reports a finding that names several stacks (a routing-domain
 * collision): the shard of the first of them, in byte order, among the
 * selected stacks, so it is reported once however the stacks fall.
 * @returns the owning shard's index, or undefined when no named stack is selected
 */
export function reportingShard(
  named: readonly string[],
  selected: ReadonlySet<string>,
  count: number,
): number | undefined {
  const first = named.filter((stack) => selected.has(stack)).sort(compare)[0];
  return first === undefined ? undefined : shardOf(first, count);
}
