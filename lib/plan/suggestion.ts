/**
 * Ranges a new stack does not have to pick by hand: the lowest free VPC range of
 * a size in a routing domain (and a pod range beside it), overlapping nothing the
 * domain's checks would refuse. Deterministic: the same stack files always give
 * the same answer. Pure: no Pulumi, no files.
 *
 * A new VPC must avoid every member's VPC, pod, service and reserved ranges
 * (lib/config/routingDomains.ts refuses a pod or service range over a peer's
 * VPC whether or not pod networks are routed), and the new stack's own default
 * service range. A new pod range must avoid the members' VPC and reserved ranges
 * and the new VPC; when the domain routes pod networks, their pod and service
 * ranges too.
 */
import { type Cidr, cidrFrom, mustParseCidr } from "../../policy/rules/cidr";
import type { ClusterConfig } from "../config/clusterConfig";
import { clusterConfigSchema } from "../config/schema";

/** The private address space (RFC 1918) VPCs come from unless `within` says otherwise. */
export const privateSpace: readonly Cidr[] = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map(
  mustParseCidr,
);
/** Where pod ranges come from by default: RFC 6598 shared space, as the example stacks use. */
export const podSpace: readonly Cidr[] = [mustParseCidr("100.64.0.0/10")];

/** The VPC sizes the address plan accepts (see the vpcCidr check in lib/config/clusterConfig.ts). */
export const vpcPrefixes = { min: 16, max: 22 } as const;

/** The service range a new stack gets when its file does not set one. */
const defaultServiceCidr = mustParseCidr(clusterConfigSchema.shape.serviceCidr.parse(undefined));

export interface SuggestionRequest {
  readonly domain: string;
  readonly routedPodNetworks: boolean;
  /** Validated configs of the stacks in the domain. */
  readonly members: readonly ClusterConfig[];
  readonly vpcPrefix: number;
  /** Default the RFC 1918 space. */
  readonly within?: readonly Cidr[];
  /** Default 16. */
  readonly podPrefix?: number;
  /** Default 100.64.0.0/10. */
  readonly podWithin?: readonly Cidr[];
}

export type Suggestion =
  | {
      readonly ok: true;
      readonly vpcCidr: string;
      readonly podCidr: string;
      /** How many ranges of the domain the suggestion had to avoid. */
      readonly avoided: number;
    }
  | { readonly ok: false; readonly reason: string };

/**
 * The lowest block of `prefix` inside `spaces` (in address order) that overlaps
 * none of `taken`; undefined when none fits.
 */
export function lowestFree(
  prefix: number,
  spaces: readonly Cidr[],
  taken: readonly Cidr[],
): Cidr | undefined {
  const ordered = [...spaces].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (const space of ordered) {
    if (space.family !== "ipv4" || prefix < space.prefix || prefix > 32) continue;
    const size = 1n << BigInt(32 - prefix);
    let candidate = space.start;
    while (candidate + size - 1n <= space.end) {
      const end = candidate + size - 1n;
      const blockers = taken.filter(
        (range) => range.family === "ipv4" && range.start <= end && candidate <= range.end,
      );
      if (blockers.length === 0) return cidrFrom(candidate, prefix, "ipv4");
      const past = blockers.reduce((max, range) => (range.end > max ? range.end : max), 0n) + 1n;
      candidate = ((past + size - 1n) / size) * size;
    }
  }
  return undefined;
}

const spaceText = (spaces: readonly Cidr[]) => spaces.map((space) => space.text).join(", ");

export function suggestRanges(request: SuggestionRequest): Suggestion {
  const within = request.within ?? privateSpace;
  const podWithin = request.podWithin ?? podSpace;
  const podPrefix = request.podPrefix ?? 16;
  if (request.vpcPrefix < vpcPrefixes.min || request.vpcPrefix > vpcPrefixes.max) {
    return {
      ok: false,
      reason: `a VPC must be /${vpcPrefixes.min} to /${vpcPrefixes.max} (AWS allows at most /16; the subnet layout needs at least /22), not /${request.vpcPrefix}`,
    };
  }
  const of = (pick: (config: ClusterConfig) => string[]) =>
    request.members.flatMap(pick).map(mustParseCidr);
  const vpcs = of((config) => [config.vpcCidr]);
  const pods = of((config) => [config.podCidr]);
  const services = of((config) => [config.serviceCidr]);
  const reserved = of((config) => config.reservedRanges.map((range) => range.cidr));
  const vpcTaken = [...vpcs, ...pods, ...services, ...reserved, defaultServiceCidr];
  const members = `${request.members.length} stack(s) of routing domain ${request.domain}`;
  const vpc = lowestFree(request.vpcPrefix, within, vpcTaken);
  if (vpc === undefined) {
    return {
      ok: false,
      reason: `no free /${request.vpcPrefix} in ${spaceText(within)}: every one overlaps a VPC, pod, service or reserved range of the ${members}. Try a smaller VPC or another --within range.`,
    };
  }
  const podTaken = [
    ...vpcs,
    ...reserved,
    vpc,
    defaultServiceCidr,
    ...(request.routedPodNetworks ? [...pods, ...services] : []),
  ];
  const pod = lowestFree(podPrefix, podWithin, podTaken);
  if (pod === undefined) {
    return {
      ok: false,
      reason: `VPC ${vpc.text} is free, but no /${podPrefix} pod range in ${spaceText(podWithin)} is: each overlaps a range of the ${members}${request.routedPodNetworks ? " (which routes pod networks)" : ""}. Try a smaller --pod-prefix.`,
    };
  }
  return {
    ok: true,
    vpcCidr: vpc.text,
    podCidr: pod.text,
    avoided: new Set(vpcTaken.map((range) => range.text)).size,
  };
}
