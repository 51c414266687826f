/**
 * Address-space rules: every CIDR valid and strictly masked, subnets inside
 * their VPC and disjoint, and VPC, pod, service and reserved ranges disjoint.
 */
import { type Cidr, contains, findOverlaps, parseCidr } from "./cidr";
import type { NetworkFacts, Subject, VpcRangeFact } from "./facts";
import type { Finding } from "./findings";

export type RangeKind = "VPC" | "subnet" | "pod pool" | "service range" | "reserved range";

export interface ParsedRange {
  readonly kind: RangeKind;
  readonly fact: Subject;
  readonly cidr: Cidr;
  /** For subnets and VPC ranges: the owning VPC's subject. */
  readonly vpc?: string;
  /** For a service range of one cluster: its VPC (see RangeFact.scope). */
  readonly scope?: { readonly vpc: string | undefined };
}

export function describeRange(range: ParsedRange): string {
  return `${range.kind} ${range.fact.label} (${range.cidr.text})`;
}

/**
 * Parses every known CIDR in the facts. Invalid ones become findings and are
 * left out of the other rules; unknown ones are skipped silently.
 */
export function parseRanges(facts: NetworkFacts): { ranges: ParsedRange[]; findings: Finding[] } {
  const ranges: ParsedRange[] = [];
  const findings: Finding[] = [];
  const add = (
    kind: RangeKind,
    fact: Subject,
    text: string | undefined,
    vpc?: string,
    scope?: ParsedRange["scope"],
  ) => {
    if (text === undefined) return;
    const parsed = parseCidr(text);
    if (parsed.ok) {
      ranges.push({ kind, fact, cidr: parsed.cidr, vpc, ...(scope ? { scope } : {}) });
      return;
    }
    findings.push({
      code: "invalid-cidr",
      severity: "error",
      message: `${kind} ${fact.label}: "${text}" ${parsed.reason}`,
      subjects: [fact.subject],
      fix: "Write the range as network-address/prefix with no host bits set, e.g. 10.20.0.0/16.",
    });
  };
  for (const fact of facts.vpcRanges) add("VPC", fact, fact.cidr, fact.vpc);
  for (const fact of facts.subnets) add("subnet", fact, fact.cidr, fact.vpc);
  for (const fact of facts.podPools) add("pod pool", fact, fact.cidr);
  for (const fact of facts.serviceRanges) {
    add("service range", fact, fact.cidr, undefined, fact.scope);
  }
  for (const fact of facts.reservedRanges) add("reserved range", fact, fact.cidr);
  return { ranges, findings };
}

/** Ranges of each VPC (primary and secondary), keyed by the VPC's subject. */
function rangesByVpc(ranges: readonly ParsedRange[]): Map<string, ParsedRange[]> {
  const byVpc = new Map<string, ParsedRange[]>();
  for (const range of ranges) {
    if (range.kind !== "VPC" || range.vpc === undefined) continue;
    let list = byVpc.get(range.vpc);
    if (list === undefined) byVpc.set(range.vpc, (list = []));
    list.push(range);
  }
  return byVpc;
}

/** Subnets whose VPC is known and has a known range that holds them. */
function subnetsInsideTheirVpc(
  ranges: readonly ParsedRange[],
  byVpc: ReadonlyMap<string, readonly ParsedRange[]> = rangesByVpc(ranges),
): Set<ParsedRange> {
  return new Set(
    ranges.filter(
      (range) =>
        range.kind === "subnet" &&
        range.vpc !== undefined &&
        (byVpc.get(range.vpc) ?? []).some((vpc) => contains(vpc.cidr, range.cidr)),
    ),
  );
}

export function checkSubnetsInsideVpc(
  facts: NetworkFacts,
  ranges: readonly ParsedRange[],
): Finding[] {
  const byVpc = rangesByVpc(ranges);
  const inside = subnetsInsideTheirVpc(ranges, byVpc);
  const factsByVpc = new Map<string, VpcRangeFact[]>();
  for (const fact of facts.vpcRanges) {
    let list = factsByVpc.get(fact.vpc);
    if (list === undefined) factsByVpc.set(fact.vpc, (list = []));
    list.push(fact);
  }
  const findings: Finding[] = [];
  for (const subnet of ranges) {
    if (subnet.kind !== "subnet" || subnet.vpc === undefined || inside.has(subnet)) continue;
    const vpcFacts = factsByVpc.get(subnet.vpc) ?? [];
    // An unknown VPC range (a preview of a new association) might still hold it.
    if (vpcFacts.length === 0 || vpcFacts.some((fact) => fact.cidr === undefined)) continue;
    const vpcRanges = byVpc.get(subnet.vpc) ?? [];
    if (vpcRanges.length !== vpcFacts.length) continue; // an invalid VPC CIDR is reported already
    findings.push({
      code: "subnet-outside-vpc",
      severity: "error",
      message: `${describeRange(subnet)} is not inside its VPC's ranges (${vpcRanges
        .map((range) => range.cidr.text)
        .join(", ")})`,
      subjects: [subnet.fact.subject, ...vpcRanges.map((range) => range.fact.subject)],
      fix: "Carve the subnet from the VPC CIDR, or associate a secondary CIDR that holds it.",
    });
  }
  return findings;
}

/**
 * Reports overlapping pairs. Pairs that are expected or already reported through
 * another pair are skipped: a subnet and a VPC (containment is its own rule), two
 * subnets of different known VPCs, two reserved ranges (the organisation's own
 * bookkeeping), two service ranges (the same range seen from two places), and a
 * subnet that sits inside its VPC against anything else (the VPC pair says it).
 */
export function checkOverlaps(ranges: readonly ParsedRange[]): Finding[] {
  const inside = subnetsInsideTheirVpc(ranges);
  const findings: Finding[] = [];
  for (const { outer, inner } of findOverlaps(ranges, (range) => range.cidr)) {
    const kinds = new Set([outer.kind, inner.kind]);
    if (kinds.has("subnet") && kinds.has("VPC")) continue;
    if (kinds.size === 1 && (kinds.has("reserved range") || kinds.has("service range"))) continue;
    if (outOfScope(outer, inner) || outOfScope(inner, outer)) continue;
    if (kinds.size === 1 && kinds.has("subnet")) {
      if (outer.vpc !== undefined && inner.vpc !== undefined && outer.vpc !== inner.vpc) continue;
      findings.push({
        code: "subnet-overlap",
        severity: "error",
        message: `${describeRange(outer)} overlaps ${describeRange(inner)}`,
        subjects: [outer.fact.subject, inner.fact.subject],
        fix: "Give each subnet its own part of the VPC range.",
      });
      continue;
    }
    if (kinds.has("subnet") && (inside.has(outer) || inside.has(inner))) continue;
    findings.push({
      code: "cidr-overlap",
      severity: "error",
      message: `${describeRange(outer)} overlaps ${describeRange(inner)}`,
      subjects: [outer.fact.subject, inner.fact.subject],
      fix: overlapFix(outer.kind, inner.kind),
    });
  }
  return findings;
}

/** A cluster's service range against another VPC's range or subnet (or one of unknown VPC). */
function outOfScope(range: ParsedRange, other: ParsedRange): boolean {
  if (range.scope === undefined || (other.kind !== "VPC" && other.kind !== "subnet")) return false;
  return range.scope.vpc === undefined || other.vpc !== range.scope.vpc;
}

function overlapFix(a: RangeKind, b: RangeKind): string {
  const kinds = new Set([a, b]);
  if (kinds.has("pod pool")) {
    return "Move the pod pool to a range AWS does not route for this VPC (e.g. part of 100.64.0.0/10) and that no other range uses.";
  }
  if (kinds.has("reserved range")) {
    return "Pick a range outside every range the organisation reserves; traffic to the reserved range would otherwise stay local.";
  }
  if (kinds.has("service range")) {
    return "Change the service CIDR or the other range so that they are disjoint.";
  }
  return "Give each range its own part of the address space.";
}
