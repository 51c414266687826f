/**
 * Capacity rules: pod blocks that hold a full node, pools with a block for every
 * node, subnets with an address for every node, and encapsulation wherever pod
 * traffic crosses a subnet boundary.
 */
import type { ParsedRange } from "./addressing";
import type { AddressFamily } from "./cidr";
import { describeRange } from "./addressing";
import type { NetworkFacts, NodeGroupFact, PodPoolFact } from "./facts";
import type { Finding } from "./findings";
import {
  addressesInBlock,
  addressesPerNode,
  awsReservedAddressesPerSubnet,
  blockSizeRange,
  blocksInPool,
  smallestBlockSizeFor,
} from "./sizing";

interface PoolWithRange {
  readonly fact: PodPoolFact;
  readonly range: ParsedRange;
}

/** A pool without a selector, or with `all()`, serves every node group (unless disabled). */
function servesAllNodes(pool: PodPoolFact): boolean {
  if (pool.disabled === true) return false;
  return pool.nodeSelector === undefined || pool.nodeSelector.replace(/\s/g, "") === "all()";
}

/** Each fact's parsed range, looked up once instead of searched per pool. */
function rangeOfFact(ranges: readonly ParsedRange[]): Map<object, ParsedRange> {
  const byFact = new Map<object, ParsedRange>();
  for (const range of ranges) if (!byFact.has(range.fact)) byFact.set(range.fact, range);
  return byFact;
}

function poolsWithRanges(facts: NetworkFacts, ranges: readonly ParsedRange[]): PoolWithRange[] {
  const byFact = rangeOfFact(ranges);
  const pools: PoolWithRange[] = [];
  for (const fact of facts.podPools) {
    const range = byFact.get(fact);
    if (range) pools.push({ fact, range });
  }
  return pools;
}

/** Block size within Calico's range, and no larger than the pool itself. */
export function checkBlockSizes(facts: NetworkFacts, ranges: readonly ParsedRange[]): Finding[] {
  const findings: Finding[] = [];
  const byFact = rangeOfFact(ranges);
  for (const pool of facts.podPools) {
    if (pool.blockSize === undefined) continue;
    const range = byFact.get(pool);
    const family = range?.cidr.family ?? "ipv4";
    const { min, max } = blockSizeRange[family];
    if (!Number.isInteger(pool.blockSize) || pool.blockSize < min || pool.blockSize > max) {
      findings.push({
        code: "block-size-out-of-range",
        severity: "error",
        message: `pod pool ${pool.label}: block size ${pool.blockSize} is outside Calico's ${family} range ${min} to ${max}`,
        subjects: [pool.subject],
        fix: `Set a block size from ${min} to ${max}.`,
      });
      continue;
    }
    if (range && pool.blockSize < range.cidr.prefix) {
      findings.push({
        code: "pool-smaller-than-block",
        severity: "error",
        message: `${describeRange(range)} cannot hold even one /${pool.blockSize} block`,
        subjects: [pool.subject],
        fix: `Widen the pool to /${pool.blockSize} or wider, or use a longer block size.`,
      });
    }
  }
  return findings;
}

function validBlockSize(size: number | undefined, family: AddressFamily): number | undefined {
  const { min, max } = blockSizeRange[family];
  return size !== undefined && Number.isInteger(size) && size >= min && size <= max
    ? size
    : undefined;
}

/**
 * Each block must hold a full node: max pods plus the IPIP tunnel address. A pool
 * whose CIDR is not known yet (a preview, the operator's default pool) is still
 * judged by its block size, taken as IPv4 unless the block size says otherwise.
 */
export function checkBlocksFitNodes(
  facts: NetworkFacts,
  ranges: readonly ParsedRange[],
): Finding[] {
  const findings: Finding[] = [];
  const byFact = rangeOfFact(ranges);
  for (const fact of facts.podPools) {
    if (!servesAllNodes(fact)) continue;
    const range = byFact.get(fact);
    if (range === undefined && fact.cidr !== undefined) continue; // invalid: reported already
    const family =
      range?.cidr.family ?? (fact.blockSize !== undefined && fact.blockSize > 32 ? "ipv6" : "ipv4");
    const blockSize = validBlockSize(fact.blockSize, family);
    if (blockSize === undefined) continue;
    const capacity = addressesInBlock(blockSize, family);
    const described = range ? describeRange(range) : `pod pool ${fact.label} (CIDR not known yet)`;
    for (const group of facts.nodeGroups) {
      if (group.maxPods === undefined) continue;
      const needed = addressesPerNode(group.maxPods);
      if (capacity >= needed) continue;
      const suggestion = family === "ipv4" ? smallestBlockSizeFor(group.maxPods) : undefined;
      findings.push({
        code: "block-too-small-for-pods",
        severity: "error",
        message: `${described}: a /${blockSize} block holds ${capacity} addresses, but node group ${group.label} needs ${needed} per node (maxPods ${group.maxPods} + 1 tunnel address)`,
        subjects: [fact.subject, group.subject],
        fix:
          suggestion !== undefined
            ? `Use a block size of /${suggestion} or shorter, or lower the group's maxPods to ${capacity - 1}.`
            : `Use a shorter block size, or lower the group's maxPods to ${capacity - 1}.`,
      });
    }
  }
  return findings;
}

function describeGroups(groups: readonly NodeGroupFact[]): string {
  return groups.map((group) => `${group.label}: ${group.maxSize}`).join(", ");
}

/** The pools serving every node must hold a block per node the groups can reach. */
export function checkPoolCapacity(facts: NetworkFacts, ranges: readonly ParsedRange[]): Finding[] {
  const groups = facts.nodeGroups.filter((group) => group.maxSize !== undefined);
  const maxNodes = groups.reduce((sum, group) => sum + (group.maxSize ?? 0), 0);
  if (maxNodes === 0) return [];
  const findings: Finding[] = [];
  for (const pool of poolsWithRanges(facts, ranges).filter((p) => servesAllNodes(p.fact))) {
    const blockSize = validBlockSize(pool.fact.blockSize, pool.range.cidr.family);
    if (blockSize === undefined || blockSize < pool.range.cidr.prefix) continue;
    const blocks = blocksInPool(pool.range.cidr.prefix, blockSize);
    if (blocks >= maxNodes) continue;
    findings.push({
      code: "pool-too-small-for-nodes",
      severity: "error",
      message: `${describeRange(pool.range)} has ${blocks} /${blockSize} blocks, but the node groups can reach ${maxNodes} nodes (${describeGroups(groups)})`,
      subjects: [pool.fact.subject, ...groups.map((group) => group.subject)],
      fix: `Widen the pod pool to at least /${pool.range.cidr.prefix - Math.ceil(Math.log2(maxNodes / blocks))}, or lower the groups' maxSize.`,
    });
  }
  return findings;
}

/**
 * Every node of a group may land in any one of its subnets (an AZ outage sends
 * the whole group to the others), so a subnet must hold all groups that use it.
 */
export function checkSubnetCapacity(
  facts: NetworkFacts,
  ranges: readonly ParsedRange[],
): Finding[] {
  const groupsBySubnet = new Map<string, NodeGroupFact[]>();
  for (const group of facts.nodeGroups) {
    if (group.maxSize === undefined) continue;
    for (const subnet of new Set(group.subnets ?? [])) {
      let list = groupsBySubnet.get(subnet);
      if (list === undefined) groupsBySubnet.set(subnet, (list = []));
      list.push(group);
    }
  }
  const findings: Finding[] = [];
  for (const subnet of ranges) {
    if (subnet.kind !== "subnet" || subnet.cidr.family !== "ipv4") continue;
    const groups = groupsBySubnet.get(subnet.fact.subject) ?? [];
    const maxNodes = groups.reduce((sum, group) => sum + (group.maxSize ?? 0), 0);
    const usable = Number(subnet.cidr.end - subnet.cidr.start + 1n) - awsReservedAddressesPerSubnet;
    if (maxNodes <= usable) continue;
    findings.push({
      code: "subnet-too-small-for-nodes",
      severity: "error",
      message: `${describeRange(subnet)} has ${Math.max(usable, 0)} usable addresses (after AWS's ${awsReservedAddressesPerSubnet}), but ${maxNodes} nodes can land in it (${describeGroups(groups)})`,
      subjects: [subnet.fact.subject, ...groups.map((group) => group.subject)],
      fix: "Use a larger VPC CIDR (subnets grow with it), or lower the groups' maxSize.",
    });
  }
  return findings;
}

/**
 * Subnets a group whose exact subnets are unknown may span, when that is at least
 * two: candidates in two or more availability zones (a group takes one subnet per
 * zone from a VPC component's list), counting a candidate of unknown zone as its own.
 */
function inferredSpan(facts: NetworkFacts, group: NodeGroupFact): number {
  const candidates = group.candidateSubnets?.subnets ?? [];
  if (group.subnets !== undefined || candidates.length < 2) return 0;
  const zones = new Map(facts.subnets.map((subnet) => [subnet.subject, subnet.availabilityZone]));
  const seen = new Set<string>();
  for (const subnet of candidates) seen.add(zones.get(subnet) ?? `subnet ${subnet}`);
  return seen.size >= 2 ? candidates.length : 0;
}

/** Pod traffic between AWS subnets must be encapsulated: the VPC drops unknown addresses. */
export function checkCrossSubnetEncapsulation(facts: NetworkFacts): Finding[] {
  const subnets = new Set<string>();
  for (const group of facts.nodeGroups)
    for (const subnet of group.subnets ?? []) subnets.add(subnet);
  const pools = facts.podPools.filter(
    (pool) => pool.encapsulation === "None" && pool.disabled !== true,
  );
  if (pools.length === 0) return [];
  let span = `nodes span ${subnets.size} subnets`;
  if (subnets.size < 2) {
    // A preview may not show which of a component's subnets a group uses; the
    // update would fail all the same, so say it now and say it was inferred.
    const inferred = facts.nodeGroups
      .map((group) => ({ group, count: inferredSpan(facts, group) }))
      .find((entry) => entry.count > 0);
    if (inferred === undefined) return [];
    const from = inferred.group.candidateSubnets?.from.join(", ") ?? "";
    span = `nodes of group ${inferred.group.label} can span up to ${inferred.count} subnets (inferred: its subnets come from ${from}, whose subnets lie in more than one availability zone; the exact ones are known only at update)`;
  }
  return pools.map((pool) => ({
    code: "encapsulation-required" as const,
    severity: "error" as const,
    message: `pod pool ${pool.label} sends pod traffic unencapsulated, but ${span}; the VPC drops packets to pod addresses between subnets`,
    subjects: [pool.subject],
    fix: "Set the pool's encapsulation to IPIPCrossSubnet (or VXLANCrossSubnet).",
  }));
}
