/**
 * Capacity rules: pod blocks that hold a full node, pools with a block for every
 * node, subnets with an address for every node, and encapsulation wherever pod
 * traffic crosses a subnet boundary.
 */
import type { ParsedRange } from "./addressing";
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

function poolsWithRanges(facts: NetworkFacts, ranges: readonly ParsedRange[]): PoolWithRange[] {
  const pools: PoolWithRange[] = [];
  for (const fact of facts.podPools) {
    const range = ranges.find((candidate) => candidate.fact === fact);
    if (range) pools.push({ fact, range });
  }
  return pools;
}

/** Block size within Calico's range, and no larger than the pool itself. */
export function checkBlockSizes(facts: NetworkFacts, ranges: readonly ParsedRange[]): Finding[] {
  const findings: Finding[] = [];
  for (const pool of facts.podPools) {
    if (pool.blockSize === undefined) continue;
    const range = ranges.find((candidate) => candidate.fact === pool);
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

function validBlockSize(pool: PoolWithRange): number | undefined {
  const size = pool.fact.blockSize;
  const { min, max } = blockSizeRange[pool.range.cidr.family];
  return size !== undefined && Number.isInteger(size) && size >= min && size <= max
    ? size
    : undefined;
}

/** Each block must hold a full node: max pods plus the IPIP tunnel address. */
export function checkBlocksFitNodes(
  facts: NetworkFacts,
  ranges: readonly ParsedRange[],
): Finding[] {
  const findings: Finding[] = [];
  for (const pool of poolsWithRanges(facts, ranges).filter((p) => servesAllNodes(p.fact))) {
    const blockSize = validBlockSize(pool);
    if (blockSize === undefined) continue;
    const family = pool.range.cidr.family;
    const capacity = addressesInBlock(blockSize, family);
    for (const group of facts.nodeGroups) {
      if (group.maxPods === undefined) continue;
      const needed = addressesPerNode(group.maxPods);
      if (capacity >= needed) continue;
      const suggestion = family === "ipv4" ? smallestBlockSizeFor(group.maxPods) : undefined;
      findings.push({
        code: "block-too-small-for-pods",
        severity: "error",
        message: `${describeRange(pool.range)}: a /${blockSize} block holds ${capacity} addresses, but node group ${group.label} needs ${needed} per node (maxPods ${group.maxPods} + 1 tunnel address)`,
        subjects: [pool.fact.subject, group.subject],
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
    const blockSize = validBlockSize(pool);
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
  const findings: Finding[] = [];
  for (const subnet of ranges) {
    if (subnet.kind !== "subnet" || subnet.cidr.family !== "ipv4") continue;
    const groups = facts.nodeGroups.filter(
      (group) => group.maxSize !== undefined && group.subnets?.includes(subnet.fact.subject),
    );
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

/** Pod traffic between AWS subnets must be encapsulated: the VPC drops unknown addresses. */
export function checkCrossSubnetEncapsulation(facts: NetworkFacts): Finding[] {
  const subnets = new Set<string>();
  for (const group of facts.nodeGroups)
    for (const subnet of group.subnets ?? []) subnets.add(subnet);
  if (subnets.size < 2) return [];
  return facts.podPools
    .filter((pool) => pool.encapsulation === "None" && pool.disabled !== true)
    .map((pool) => ({
      code: "encapsulation-required" as const,
      severity: "error" as const,
      message: `pod pool ${pool.label} sends pod traffic unencapsulated, but nodes span ${subnets.size} subnets; the VPC drops packets to pod addresses between subnets`,
      subjects: [pool.subject],
      fix: "Set the pool's encapsulation to IPIPCrossSubnet (or VXLANCrossSubnet).",
    }));
}
