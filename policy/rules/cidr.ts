/**
 * CIDR parsing and overlap detection shared by the planner and the policy pack.
 *
 * Addresses are held as bigint so IPv4 and IPv6 share one code path; a range is
 * the closed interval [start, end]. CIDR blocks are either nested or disjoint
 * (they form a laminar family), which is what lets overlap detection run as a
 * sort plus a stack sweep instead of comparing every pair.
 */
import * as ipaddr from "ipaddr.js";

export type AddressFamily = "ipv4" | "ipv6";

export interface Cidr {
  /** The canonical text, e.g. `10.0.0.0/16`. */
  readonly text: string;
  readonly family: AddressFamily;
  readonly prefix: number;
  readonly start: bigint;
  readonly end: bigint;
}

export type CidrParseResult =
  { readonly ok: true; readonly cidr: Cidr } | { readonly ok: false; readonly reason: string };

const familyBits: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

function bytesToBigInt(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function bigIntToAddress(value: bigint, family: AddressFamily): string {
  if (family === "ipv4") {
    const n = Number(value);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const byteCount = familyBits[family] / 8;
  const bytes: number[] = new Array<number>(byteCount);
  let rest = value;
  for (let i = byteCount - 1; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** Builds a range from an address and prefix length, with no validation. */
export function cidrFrom(start: bigint, prefix: number, family: AddressFamily): Cidr {
  const size = 1n << BigInt(familyBits[family] - prefix);
  return {
    text: `${bigIntToAddress(start, family)}/${prefix}`,
    family,
    prefix,
    start,
    end: start + size - 1n,
  };
}

/**
 * Parses `address/prefix` strictly: dotted-quad IPv4 only (no `10.1/16`, octal or
 * hex forms that ipaddr.js would otherwise accept), and no host bits set, because
 * AWS and Calico reject or silently round such values.
 */
export function parseCidr(text: string): CidrParseResult {
  if (typeof text !== "string" || text.trim() !== text || !text.includes("/")) {
    return { ok: false, reason: "is not in address/prefix form (e.g. 10.0.0.0/16)" };
  }
  const [address, prefixText, ...extra] = text.split("/");
  if (extra.length > 0 || !/^\d{1,3}$/.test(prefixText)) {
    return { ok: false, reason: "has no valid prefix length after the slash" };
  }
  let family: AddressFamily;
  const dotted = ipv4Dotted(address);
  if (dotted !== undefined) return withPrefix(BigInt(dotted), Number(prefixText), "ipv4");
  if (ipaddr.IPv4.isValidFourPartDecimal(address)) family = "ipv4";
  else if (ipaddr.IPv6.isValid(address) && address.includes(":")) family = "ipv6";
  else return { ok: false, reason: "is not a valid IPv4 or IPv6 address" };
  return withPrefix(bytesToBigInt(ipaddr.parse(address).toByteArray()), Number(prefixText), family);
}

/**
 * A dotted-quad IPv4 address as a number, read without ipaddr.js (the pack parses
 * every subnet and VPC range of large stacks): four decimal parts 0-255 without
 * leading zeros, as ipaddr.js's isValidFourPartDecimal accepts them.
 */
function ipv4Dotted(address: string): number | undefined {
  const parts = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/.exec(
    address,
  );
  if (parts === null) return undefined;
  let value = 0;
  for (let i = 1; i <= 4; i++) {
    const part = Number(parts[i]);
    if (part > 255) return undefined;
    value = value * 256 + part;
  }
  return value;
}

function withPrefix(value: bigint, prefix: number, family: AddressFamily): CidrParseResult {
  const bits = familyBits[family];
  if (prefix > bits) {
    return { ok: false, reason: `has prefix /${prefix}, but ${family} allows at most /${bits}` };
  }
  const hostBits = BigInt(bits - prefix);
  const start = (value >> hostBits) << hostBits;
  const cidr = cidrFrom(start, prefix, family);
  if (start !== value) {
    return { ok: false, reason: `has host bits set; the network address is ${cidr.text}` };
  }
  return { ok: true, cidr };
}

/** Parses a CIDR that is known to be valid (plan output, constants); throws otherwise. */
export function mustParseCidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(`internal: ${text} ${parsed.reason}`);
  return parsed.cidr;
}

export function addressCount(cidr: Cidr): bigint {
  return cidr.end - cidr.start + 1n;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.family === b.family && a.start <= b.end && b.start <= a.end;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return outer.family === inner.family && outer.start <= inner.start && inner.end <= outer.end;
}

/**
 * The `index`-th sub-block of `prefix` length inside `parent`.
 * @throws when the sub-block would not fit inside the parent.
 */
export function subBlock(parent: Cidr, prefix: number, index: number): Cidr {
  if (prefix < parent.prefix || prefix > familyBits[parent.family]) {
    throw new Error(`internal: /${prefix} does not fit in ${parent.text}`);
  }
  const size = 1n << BigInt(familyBits[parent.family] - prefix);
  const start = parent.start + size * BigInt(index);
  const block = cidrFrom(start, prefix, parent.family);
  if (index < 0 || block.end > parent.end) {
    throw new Error(`internal: block ${index} of /${prefix} lies outside ${parent.text}`);
  }
  return block;
}

/** Orders ranges by family, then start, then widest first, so a container precedes its contents. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family === "ipv4" ? -1 : 1;
  if (a.start !== b.start) return a.start < b.start ? -1 : 1;
  return a.prefix - b.prefix;
}

export interface OverlapPair<T> {
  /** The item whose range contains (or equals) the other's. */
  readonly outer: T;
  readonly inner: T;
}

/**
 * Every pair of items whose ranges overlap, in O(n log n + pairs).
 *
 * After sorting, the ranges still "open" at a given start form a chain of nested
 * blocks (at most 129 deep), so each item is compared only with the ranges that
 * really contain it.
 */
export function findOverlaps<T>(items: readonly T[], rangeOf: (item: T) => Cidr): OverlapPair<T>[] {
  // Decorated once: IPv4 bounds fit a double exactly, and number comparisons are
  // several times cheaper than bigint ones, in the sort and in the sweep.
  const sorted = items
    .map((item) => {
      const range = rangeOf(item);
      const v4 = range.family === "ipv4";
      return {
        item,
        range,
        v4,
        start: v4 ? Number(range.start) : 0,
        end: v4 ? Number(range.end) : 0,
      };
    })
    .sort((a, b) => {
      if (a.v4 && b.v4) return a.start - b.start || a.range.prefix - b.range.prefix;
      return compareCidrs(a.range, b.range);
    });
  const pairs: OverlapPair<T>[] = [];
  const open: (typeof sorted)[number][] = [];
  for (const entry of sorted) {
    while (open.length > 0) {
      const top = open[open.length - 1];
      if (
        top.v4 === entry.v4 &&
        (top.v4 ? top.end >= entry.start : top.range.end >= entry.range.start)
      ) {
        break;
      }
      open.pop();
    }
    for (const outer of open) pairs.push({ outer: outer.item, inner: entry.item });
    open.push(entry);
  }
  return pairs;
}
