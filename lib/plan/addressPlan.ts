/**
 * The address plan: where every subnet and pod address of a cluster lives.
 *
 * Layout. The VPC is cut into 8 equal AZ slots; an AZ's slot comes from its
 * name (the letter: a=0 ... h=7, or an explicit `slot`), never from its position
 * in the list, so adding, removing or reordering AZs leaves every other subnet
 * where it is (AWS replaces a subnet whose CIDR changes). Inside a slot, the
 * first half is the private (node) subnet, the next eighth the public subnet,
 * and the last three eighths stay free for future tiers. For a /16 VPC: slot
 * /19, private /20 (4091 usable addresses), public /22 (1019 usable).
 *
 * The pod pool is the configured pod CIDR; its block size is the configured one
 * or the smallest that holds the largest group's max pods plus the IPIP tunnel
 * address. Pure: no Pulumi imports.
 */
import { mustParseCidr, subBlock } from "../../policy/rules/cidr";
import type { NetworkFacts, NodeGroupFact, SubnetFact } from "../../policy/rules/facts";
import type { Finding } from "../../policy/rules/findings";
import { checkNetwork } from "../../policy/rules/index";
import {
  addressesInBlock,
  blocksInPool,
  smallestBlockSizeFor,
  usableSubnetAddresses,
} from "../../policy/rules/sizing";
import { azSlotCount } from "../config/schema";
import { type ClusterConfig, projectName } from "../config/clusterConfig";
import { type RoutingPlan, planRouting } from "./routing";

/** Prefix lengths added to the VPC's for an AZ slot and each subnet role. */
export const slotPrefixBits = Math.log2(azSlotCount);
export const privateSubnetPrefixBits = slotPrefixBits + 1;
export const publicSubnetPrefixBits = slotPrefixBits + 3;
/** Index of the public subnet among the public-sized units of a slot (after the private half). */
const publicUnitInSlot = 4;

export type SubnetRole = "public" | "private";

export interface SubnetPlan {
  readonly availabilityZone: string;
  readonly role: SubnetRole;
  readonly cidr: string;
  readonly usableAddresses: number;
  /** The most nodes that can land here (private subnets; 0 for public). */
  readonly maxNodes: number;
}

export interface AvailabilityZonePlan {
  readonly name: string;
  readonly slot: number;
  readonly slotCidr: string;
  readonly publicSubnet: SubnetPlan;
  readonly privateSubnet: SubnetPlan;
}

export interface NodeGroupPlan {
  readonly name: string;
  readonly role: "master" | "worker";
  readonly configKey: string;
  readonly minSize: number;
  readonly maxSize: number;
  readonly maxPods: number;
  readonly availabilityZones: readonly string[];
}

export interface PodPoolPlan {
  readonly cidr: string;
  readonly blockSize: number;
  readonly blockSizeSource: "config" | "derived";
  readonly addressesPerBlock: number;
  readonly blocks: number;
  /** Nodes the groups can reach, masters included; each needs one block. */
  readonly maxNodes: number;
  readonly encapsulation: "IPIPCrossSubnet";
}

export interface AddressPlan {
  readonly stack: string;
  readonly clusterName: string;
  readonly region: string;
  readonly vpcCidr: string;
  readonly serviceCidr: string;
  readonly availabilityZones: readonly AvailabilityZonePlan[];
  readonly podPool: PodPoolPlan;
  /** How pod routes reach other nodes (BGP full mesh or Felix), and why. */
  readonly routing: RoutingPlan;
  readonly nodeGroups: readonly NodeGroupPlan[];
  readonly reservedRanges: readonly { readonly name: string; readonly cidr: string }[];
  readonly findings: readonly Finding[];
}

/** The CIDR of an AZ's subnet; depends on nothing but the VPC CIDR and the AZ's slot. */
export function subnetCidr(vpcCidr: string, slot: number, role: SubnetRole): string {
  const vpc = mustParseCidr(vpcCidr);
  const slotBlock = subBlock(vpc, vpc.prefix + slotPrefixBits, slot);
  return role === "private"
    ? subBlock(slotBlock, vpc.prefix + privateSubnetPrefixBits, 0).text
    : subBlock(slotBlock, vpc.prefix + publicSubnetPrefixBits, publicUnitInSlot).text;
}

function nodeGroups(config: ClusterConfig): NodeGroupPlan[] {
  const bySlot = [...config.availabilityZones].sort((a, b) => a.slot - b.slot);
  const masters = bySlot.map((zone) => ({
    name: `master-${zone.name}`,
    role: "master" as const,
    configKey: `${projectName}:masters`,
    minSize: 1,
    maxSize: 1,
    maxPods: config.masters.maxPods,
    availabilityZones: [zone.name],
  }));
  const workers = config.workerGroups.map((group, index) => ({
    name: group.name,
    role: "worker" as const,
    configKey: `${projectName}:workerGroups[${index}]`,
    minSize: group.minSize,
    maxSize: group.maxSize,
    maxPods: group.maxPods,
    availabilityZones: group.availabilityZones,
  }));
  return [...masters, ...workers];
}

const subnetSubject = (zone: string, role: SubnetRole) => `subnet ${zone} ${role}`;

/** The plan's network facts, for the shared rules. Subjects are config keys. */
export function planFacts(config: ClusterConfig, groups: readonly NodeGroupPlan[]): NetworkFacts {
  const vpc = `${projectName}:vpcCidr`;
  const subnets: SubnetFact[] = config.availabilityZones.flatMap((zone) =>
    (["private", "public"] as const).map((role) => ({
      subject: subnetSubject(zone.name, role),
      label: `${zone.name} ${role} (slot ${zone.slot})`,
      cidr: subnetCidr(config.vpcCidr, zone.slot, role),
      vpc,
      availabilityZone: zone.name,
    })),
  );
  const groupFacts: NodeGroupFact[] = groups.map((group) => ({
    subject: group.configKey,
    label:
      group.role === "master"
        ? `masters (${group.availabilityZones[0]})`
        : `${group.configKey} "${group.name}"`,
    maxSize: group.maxSize,
    maxPods: group.maxPods,
    subnets: group.availabilityZones.map((zone) => subnetSubject(zone, "private")),
  }));
  return {
    vpcRanges: [{ subject: vpc, label: vpc, vpc, cidr: config.vpcCidr }],
    subnets,
    podPools: [
      {
        subject: `${projectName}:podCidr`,
        label: `${projectName}:podCidr`,
        cidr: config.podCidr,
        blockSize: planBlockSize(config, groups).blockSize,
        encapsulation: "IPIPCrossSubnet",
        nodeSelector: "all()",
      },
    ],
    serviceRanges: [
      {
        subject: `${projectName}:serviceCidr`,
        label: `${projectName}:serviceCidr`,
        cidr: config.serviceCidr,
      },
    ],
    reservedRanges: config.reservedRanges.map((range, index) => ({
      subject: `${projectName}:reservedRanges[${index}]`,
      label: `${projectName}:reservedRanges[${index}] "${range.name}"`,
      name: range.name,
      cidr: range.cidr,
    })),
    nodeGroups: groupFacts,
  };
}

function planBlockSize(
  config: ClusterConfig,
  groups: readonly NodeGroupPlan[],
): { blockSize: number; source: "config" | "derived" } {
  if (config.podBlockSize !== undefined)
    return { blockSize: config.podBlockSize, source: "config" };
  const largestMaxPods = Math.max(...groups.map((group) => group.maxPods));
  return { blockSize: smallestBlockSizeFor(largestMaxPods), source: "derived" };
}

const blockFindingCodes = new Set([
  "block-too-small-for-pods",
  "block-size-out-of-range",
  "pool-smaller-than-block",
  "pool-too-small-for-nodes",
]);

/** Plans a validated config and checks the result with the shared rules. */
export function planAddresses(config: ClusterConfig): AddressPlan {
  const groups = nodeGroups(config);
  const facts = planFacts(config, groups);
  const { blockSize, source } = planBlockSize(config, groups);
  const pool = mustParseCidr(config.podCidr);
  const maxNodes = groups.reduce((sum, group) => sum + group.maxSize, 0);

  const subnetPlan = (zone: string, slot: number, role: SubnetRole): SubnetPlan => {
    const cidr = subnetCidr(config.vpcCidr, slot, role);
    const nodes = groups.filter((group) => group.availabilityZones.includes(zone));
    return {
      availabilityZone: zone,
      role,
      cidr,
      usableAddresses: usableSubnetAddresses(mustParseCidr(cidr).prefix),
      maxNodes: role === "private" ? nodes.reduce((sum, group) => sum + group.maxSize, 0) : 0,
    };
  };
  const vpc = mustParseCidr(config.vpcCidr);
  const zones = config.availabilityZones
    .map((zone) => ({
      name: zone.name,
      slot: zone.slot,
      slotCidr: subBlock(vpc, vpc.prefix + slotPrefixBits, zone.slot).text,
      publicSubnet: subnetPlan(zone.name, zone.slot, "public"),
      privateSubnet: subnetPlan(zone.name, zone.slot, "private"),
    }))
    .sort((a, b) => a.slot - b.slot);

  const findings = checkNetwork(facts).map((finding) =>
    source === "config" && blockFindingCodes.has(finding.code)
      ? { ...finding, subjects: [...finding.subjects, `${projectName}:podBlockSize`] }
      : finding,
  );
  if (source === "derived") {
    findings.push({
      code: "block-size-derived",
      severity: "warning",
      message: `pod block size /${blockSize} is derived from the largest maxPods; Calico cannot change it once the pool exists, so a later group with more pods would be refused`,
      subjects: [`${projectName}:podBlockSize`],
      fix: `Pin it: set ${projectName}:podBlockSize: ${blockSize} in the stack file.`,
    });
  }

  return {
    stack: config.stack,
    clusterName: config.clusterName,
    region: config.region,
    vpcCidr: config.vpcCidr,
    serviceCidr: config.serviceCidr,
    availabilityZones: zones,
    podPool: {
      cidr: config.podCidr,
      blockSize,
      blockSizeSource: source,
      addressesPerBlock: addressesInBlock(blockSize),
      blocks: blocksInPool(pool.prefix, blockSize),
      maxNodes,
      encapsulation: "IPIPCrossSubnet",
    },
    routing: planRouting(config, maxNodes),
    nodeGroups: groups,
    reservedRanges: config.reservedRanges,
    findings,
  };
}
