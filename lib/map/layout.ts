/**
 * Where ranges go on a picture: which address space each range is drawn in, a
 * compressed axis that keeps a /22 and a /8 both visible on one strip, tracks so
 * ranges that overlap never hide each other, and the free gaps between them.
 * Pure numbers: no Pulumi, no SVG.
 */
import { type Cidr, cidrFrom, contains, mustParseCidr } from "../../policy/rules/cidr";

/** The address spaces private networks come from; anything else is drawn in its own /8. */
export const wellKnownSpaces: readonly { readonly name: string; readonly cidr: Cidr }[] = [
  { name: "RFC 1918", cidr: mustParseCidr("10.0.0.0/8") },
  { name: "RFC 1918", cidr: mustParseCidr("172.16.0.0/12") },
  { name: "RFC 1918", cidr: mustParseCidr("192.168.0.0/16") },
  { name: "RFC 6598 shared address space", cidr: mustParseCidr("100.64.0.0/10") },
];

export interface AddressSpace {
  readonly name: string;
  readonly cidr: Cidr;
}

/** The space a range is drawn in: the smallest well-known space holding it, else its /8 (or itself). */
function spaceFor(range: Cidr): AddressSpace {
  const known = wellKnownSpaces.find((space) => contains(space.cidr, range));
  if (known) return known;
  if (range.family === "ipv4" && range.prefix > 8) {
    const slash8 = cidrFrom((range.start >> 24n) << 24n, 8, "ipv4");
    return { name: "other", cidr: slash8 };
  }
  return { name: "other", cidr: range };
}

/**
 * The spaces that hold all the ranges, in address order, none inside another
 * (a reserved 172.0.0.0/8 swallows 172.16.0.0/12).
 */
export function spacesFor(ranges: readonly Cidr[]): AddressSpace[] {
  const candidates = new Map<string, AddressSpace>();
  for (const range of ranges) {
    const space = spaceFor(range);
    candidates.set(space.cidr.text, space);
  }
  const all = [...candidates.values()];
  return all
    .filter(
      (space) =>
        !all.some(
          (other) =>
            other !== space &&
            contains(other.cidr, space.cidr) &&
            other.cidr.text !== space.cidr.text,
        ),
    )
    .sort((a, b) => (a.cidr.start < b.cidr.start ? -1 : 1));
}

/** One piece of an axis between two consecutive range boundaries. */
export interface AxisSegment {
  readonly start: bigint;
  /** Inclusive. */
  readonly end: bigint;
  readonly x: number;
  readonly width: number;
}

export interface Axis {
  readonly space: AddressSpace;
  readonly width: number;
  readonly segments: readonly AxisSegment[];
}

/**
 * A piecewise-linear axis over a space: the space is cut at every range boundary
 * and each piece gets a width growing with the logarithm of its size, so a /22
 * next to a /12 stays readable; free pieces are drawn narrower than used ones.
 * Positions inside a piece are linear.
 */
export function compressedAxis(space: AddressSpace, ranges: readonly Cidr[], width: number): Axis {
  const cuts = new Set<bigint>([space.cidr.start, space.cidr.end + 1n]);
  for (const range of ranges) {
    if (!contains(space.cidr, range)) continue;
    cuts.add(range.start);
    cuts.add(range.end + 1n);
  }
  const sorted = [...cuts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const pieces = sorted
    .slice(0, -1)
    .map((start, index) => ({ start, end: sorted[index + 1] - 1n }));
  // Pieces some range covers get most of the width; empty ones only enough to see.
  const inside = ranges.filter((range) => contains(space.cidr, range));
  const weights = pieces.map((piece) => {
    const bits = Math.log2(Number(piece.end - piece.start + 1n));
    const covered = inside.some((range) => range.start <= piece.start && piece.end <= range.end);
    return covered ? 8 + bits : 2 + bits / 3;
  });
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  let x = 0;
  const segments = pieces.map((piece, index) => {
    const segmentWidth = (weights[index] / total) * width;
    const segment = { ...piece, x, width: segmentWidth };
    x += segmentWidth;
    return segment;
  });
  return { space, width, segments };
}

/** The x of an address (or of `end + 1` for a range's right edge) on an axis. */
export function xOf(axis: Axis, address: bigint): number {
  for (const segment of axis.segments) {
    if (address >= segment.start && address <= segment.end + 1n) {
      const size = Number(segment.end - segment.start + 1n);
      return segment.x + (Number(address - segment.start) / size) * segment.width;
    }
  }
  return address < axis.space.cidr.start ? 0 : axis.width;
}

/**
 * Assigns each item a track (row) so items on one track never overlap; greedy in
 * address order, so the result is stable for the same input.
 */
export function assignTracks<T>(items: readonly T[], rangeOf: (item: T) => Cidr): Map<T, number> {
  const sorted = [...items].sort((a, b) => {
    const ra = rangeOf(a);
    const rb = rangeOf(b);
    return ra.start !== rb.start ? (ra.start < rb.start ? -1 : 1) : ra.prefix - rb.prefix;
  });
  const trackEnds: bigint[] = [];
  const tracks = new Map<T, number>();
  for (const item of sorted) {
    const range = rangeOf(item);
    let track = trackEnds.findIndex((end) => end < range.start);
    if (track === -1) track = trackEnds.length;
    trackEnds[track] = range.end;
    tracks.set(item, track);
  }
  return tracks;
}

/** The fewest CIDR blocks that exactly cover [start, end]. */
export function intervalToCidrs(
  start: bigint,
  end: bigint,
  family: Cidr["family"] = "ipv4",
): Cidr[] {
  const bits = family === "ipv4" ? 32 : 128;
  const blocks: Cidr[] = [];
  let cursor = start;
  while (cursor <= end) {
    let size = 1n;
    let prefix = bits;
    // Grow while the block stays aligned at cursor and inside the interval.
    while (prefix > 0 && cursor % (size * 2n) === 0n && cursor + size * 2n - 1n <= end) {
      size *= 2n;
      prefix -= 1;
    }
    blocks.push(cidrFrom(cursor, prefix, family));
    cursor += size;
  }
  return blocks;
}

export interface Gap {
  readonly start: bigint;
  readonly end: bigint;
  /** The gap as CIDR blocks, lowest first. */
  readonly cidrs: readonly Cidr[];
}

/** The parts of a space no range covers. */
export function freeGaps(space: Cidr, ranges: readonly Cidr[]): Gap[] {
  const inside = ranges
    .filter(
      (range) =>
        range.family === space.family && range.start <= space.end && range.end >= space.start,
    )
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const gaps: Gap[] = [];
  let cursor = space.start;
  for (const range of inside) {
    if (range.start > cursor) {
      gaps.push({
        start: cursor,
        end: range.start - 1n,
        cidrs: intervalToCidrs(cursor, range.start - 1n, space.family),
      });
    }
    if (range.end + 1n > cursor) cursor = range.end + 1n;
  }
  if (cursor <= space.end) {
    gaps.push({
      start: cursor,
      end: space.end,
      cidrs: intervalToCidrs(cursor, space.end, space.family),
    });
  }
  return gaps;
}

/** The overlap of two ranges, or undefined. */
export function intersection(a: Cidr, b: Cidr): { start: bigint; end: bigint } | undefined {
  const start = a.start > b.start ? a.start : b.start;
  const end = a.end < b.end ? a.end : b.end;
  return a.family === b.family && start <= end ? { start, end } : undefined;
}
