/**
 * What the map pages show, before any drawing: the ranges of a routing domain
 * or of one stack, which of them collide and where, and which element each
 * finding belongs to. Pure: built from plans and findings, no Pulumi.
 */
import { type Cidr, mustParseCidr } from "../../policy/rules/cidr";
import type { Problem } from "../../policy/rules/findings";
import type { ClusterConfig } from "../config/clusterConfig";
import { projectName } from "../config/clusterConfig";
import type { AddressPlan } from "../plan/addressPlan";
import { intersection } from "./layout";

/** One stack as the map sees it: a plan when its config is valid, and every problem. */
export interface MapStack {
  readonly stack: string;
  readonly config: ClusterConfig | undefined;
  readonly plan: AddressPlan | undefined;
  /** Config problems (no plan) or problems that stop the deployment (with a plan). */
  readonly problems: readonly Problem[];
  /** Routing-domain findings naming this stack. */
  readonly domainFindings: readonly Problem[];
}

export type RangeRole = "vpc" | "pod" | "service" | "reserved";

export interface MapRange {
  /** The row it is drawn in: a stack name, or `reserved`. */
  readonly lane: string;
  readonly role: RangeRole;
  /** Every `<stack>: <key>` that declares it (reserved ranges are often declared by many). */
  readonly declaredBy: readonly string[];
  readonly label: string;
  readonly cidr: Cidr;
  /** Named by an overlap finding. */
  readonly collides: boolean;
}

export interface Collision {
  readonly start: bigint;
  readonly end: bigint;
  readonly finding: Problem;
}

export interface RangeView {
  readonly ranges: readonly MapRange[];
  readonly collisions: readonly Collision[];
}

const overlapCodes = new Set(["cidr-overlap", "routing-domain-overlap"]);

export const roleNames: Record<RangeRole, string> = {
  vpc: "VPC",
  pod: "pod pool",
  service: "service range",
  reserved: "reserved",
};

/** A stack's own ranges, each declared by `<stack>: <key>`. */
function stackRanges(entry: MapStack): Omit<MapRange, "collides">[] {
  const config = entry.config;
  if (config === undefined) return [];
  const own = (role: RangeRole, key: string, cidr: string) => ({
    lane: entry.stack,
    role,
    declaredBy: [`${entry.stack}: ${projectName}:${key}`],
    label: roleNames[role],
    cidr: mustParseCidr(cidr),
  });
  return [
    own("vpc", "vpcCidr", config.vpcCidr),
    own("pod", "podCidr", config.podCidr),
    own("service", "serviceCidr", config.serviceCidr),
  ];
}

function reservedRanges(entries: readonly MapStack[]): Omit<MapRange, "collides">[] {
  const byRange = new Map<string, { name: string; cidr: Cidr; declaredBy: string[] }>();
  for (const entry of entries) {
    entry.config?.reservedRanges.forEach((range, index) => {
      const id = `${range.cidr} ${range.name}`;
      const known = byRange.get(id) ?? {
        name: range.name,
        cidr: mustParseCidr(range.cidr),
        declaredBy: [],
      };
      known.declaredBy.push(`${entry.stack}: ${projectName}:reservedRanges[${index}]`);
      byRange.set(id, known);
    });
  }
  return [...byRange.values()].map((range) => ({
    lane: "reserved",
    role: "reserved" as const,
    declaredBy: range.declaredBy,
    label: `reserved "${range.name}"`,
    cidr: range.cidr,
  }));
}

/** A plan finding's subjects are bare keys; domain findings' are `<stack>: <key>`. */
function qualifiedSubjects(finding: Problem, stack: string): string[] {
  return finding.subjects.map((subject) =>
    subject.includes(": ") ? subject : `${stack}: ${subject}`,
  );
}

/** The overlap findings of the stacks, each with the stack it came from. */
function overlapFindings(entries: readonly MapStack[]): { finding: Problem; subjects: string[] }[] {
  const seen = new Set<string>();
  const found: { finding: Problem; subjects: string[] }[] = [];
  for (const entry of entries) {
    const findings = [...(entry.plan?.findings ?? []), ...entry.domainFindings];
    for (const finding of findings) {
      if (!overlapCodes.has(finding.code)) continue;
      const subjects = qualifiedSubjects(finding, entry.stack);
      const id = `${finding.code} ${subjects.join(",")}`;
      if (seen.has(id)) continue;
      seen.add(id);
      found.push({ finding, subjects });
    }
  }
  return found;
}

/**
 * The ranges of some stacks drawn together, with their collisions.
 * @param entries the stacks (a routing domain's members, or one stack)
 * @param extra ranges of other stacks to draw too (a neighbour a stack collides with)
 */
export function rangeView(
  entries: readonly MapStack[],
  extra: readonly Omit<MapRange, "collides">[] = [],
): RangeView {
  const plain = [...entries.flatMap(stackRanges), ...extra, ...reservedRanges(entries)];
  const overlaps = overlapFindings(entries);
  const named = (range: Omit<MapRange, "collides">, subjects: readonly string[]) =>
    range.declaredBy.some((subject) => subjects.includes(subject));
  const collisions: Collision[] = [];
  for (const { finding, subjects } of overlaps) {
    const involved = plain.filter((range) => named(range, subjects));
    if (involved.length < 2) continue;
    const shared = intersection(involved[0].cidr, involved[1].cidr);
    if (shared) collisions.push({ ...shared, finding });
  }
  const ranges = plain.map((range) => ({
    ...range,
    collides: overlaps.some(({ subjects }) => named(range, subjects)),
  }));
  return { ranges, collisions };
}

/** The ranges of other stacks that a stack's routing-domain findings name. */
export function neighbourRanges(
  entry: MapStack,
  all: readonly MapStack[],
): Omit<MapRange, "collides">[] {
  const subjects = new Set(entry.domainFindings.flatMap((finding) => finding.subjects));
  const others = all.filter((other) => other.stack !== entry.stack);
  return others.flatMap((other) =>
    [
      ...stackRanges(other),
      ...reservedRanges([other]).map((range) => ({ ...range, lane: other.stack })),
    ].filter((range) => range.declaredBy.some((subject) => subjects.has(subject))),
  );
}

/** Element ids on a stack page, from a finding subject (a config key or `subnet <az> <role>`). */
export function elementForSubject(subject: string): string | undefined {
  const key =
    subject.includes(": ") && !subject.startsWith("subnet ")
      ? subject.split(": ").slice(1).join(": ")
      : subject;
  const subnet = /^subnet (\S+) (public|private)$/.exec(key);
  if (subnet) return `subnet-${subnet[1]}-${subnet[2]}`;
  const bare = key.startsWith(`${projectName}:`) ? key.slice(projectName.length + 1) : key;
  if (bare === "vpcCidr" || bare === "ipam" || bare.startsWith("ipam.")) return "vpc";
  if (bare === "podCidr" || bare === "podBlockSize") return "pod-pool";
  if (bare === "serviceCidr") return "service";
  const reserved = /^reservedRanges\[(\d+)\]/.exec(bare);
  if (reserved) return `reserved-${reserved[1]}`;
  const group = /^workerGroups\[(\d+)\]/.exec(bare);
  if (group) return `group-${group[1]}`;
  if (bare.startsWith("masters")) return "group-masters";
  return undefined;
}
