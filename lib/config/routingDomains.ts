/**
 * Organisation-wide checks across team stacks that share a routing domain (their
 * networks are connected: peering, transit gateway, VPN). Per-stack rules cannot
 * see these collisions. Pure: no Pulumi imports.
 *
 * Within a domain:
 * - VPC ranges are pairwise disjoint (overlapping VPCs cannot be routed).
 * - No stack's pod or service range overlaps a VPC range or reserved range of
 *   any stack in the domain: a pod sending to such a peer address would have the
 *   packet kept inside its own cluster.
 * - Pod ranges may repeat across clusters (pod traffic leaves through the node's
 *   address, natOutgoing), unless the domain routes pod networks between clusters;
 *   then pod ranges must be disjoint, and must not overlap other clusters'
 *   service ranges either.
 */
import { z } from "zod";
import { findOverlaps, mustParseCidr, type Cidr } from "../../policy/rules/cidr";
import type { Problem } from "../../policy/rules/findings";
import { type ClusterConfig, projectName } from "./clusterConfig";

export const routingDomainsFileName = "routing-domains.yaml";

export const routingDomainsSchema = z.strictObject({
  routingDomains: z.record(
    z.string().regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "must be a lower-case DNS label"),
    z.strictObject({
      /** What the domain connects; shown in reports. */
      description: z.string().optional(),
      /** Pod networks are routed between the domain's clusters; default false. */
      routedPodNetworks: z.boolean().default(false),
    }),
  ),
});

export type RoutingDomains = z.output<typeof routingDomainsSchema>["routingDomains"];

/** Subjects are `<stack>: <key>` for each side. */
export type DomainFinding = Problem<"routing-domain-overlap" | "unknown-routing-domain">;

type RangeRole = "VPC" | "pod range" | "service range" | "reserved range";

interface DomainRange {
  readonly stack: string;
  readonly role: RangeRole;
  readonly key: string;
  readonly label: string;
  readonly cidr: Cidr;
}

function rangesOf(config: ClusterConfig): DomainRange[] {
  const range = (role: RangeRole, key: string, cidr: string, label = key): DomainRange => ({
    stack: config.stack,
    role,
    key: `${projectName}:${key}`,
    label: `${projectName}:${label}`,
    cidr: mustParseCidr(cidr),
  });
  return [
    range("VPC", "vpcCidr", config.vpcCidr),
    range("pod range", "podCidr", config.podCidr),
    range("service range", "serviceCidr", config.serviceCidr),
    ...config.reservedRanges.map((reserved, index) =>
      range(
        "reserved range",
        `reservedRanges[${index}]`,
        reserved.cidr,
        `reservedRanges[${index}] "${reserved.name}"`,
      ),
    ),
  ];
}

/** Whether two ranges of different stacks in one domain may overlap. */
function collides(a: DomainRange, b: DomainRange, routedPodNetworks: boolean): boolean {
  const roles = new Set([a.role, b.role]);
  const has = (role: RangeRole) => roles.has(role);
  if (roles.size === 1) {
    if (has("VPC")) return true;
    if (has("pod range")) return routedPodNetworks;
    return false; // service ranges are cluster-local; reserved ranges are bookkeeping
  }
  const clusterLocal = has("pod range") || has("service range");
  if (clusterLocal && (has("VPC") || has("reserved range"))) return true;
  if (has("pod range") && has("service range")) return routedPodNetworks;
  // A VPC inside another team's reserved range is usually that team's peered VPC.
  return false;
}

const describe = (range: DomainRange) => `${range.stack} ${range.label} (${range.cidr.text})`;

/**
 * Checks every routing domain shared by the given stacks.
 * @param stacks validated configs of the stacks to check together
 * @param domains the declared domains (`stacks/routing-domains.yaml`)
 * @returns findings; empty when every domain is consistent
 */
export function checkRoutingDomains(
  stacks: readonly ClusterConfig[],
  domains: RoutingDomains,
): DomainFinding[] {
  const findings: DomainFinding[] = [];
  const byDomain = new Map<string, ClusterConfig[]>();
  for (const config of stacks) {
    if (config.routingDomain === undefined) continue;
    if (!(config.routingDomain in domains)) {
      findings.push({
        code: "unknown-routing-domain",
        severity: "error",
        message: `${config.stack}: ${projectName}:routingDomain = "${config.routingDomain}" is not declared in ${routingDomainsFileName} (declared: ${Object.keys(domains).join(", ") || "none"})`,
        subjects: [`${config.stack}: ${projectName}:routingDomain`],
        fix: `Declare the domain in ${routingDomainsFileName} (beside the stack files) or correct the name.`,
      });
      continue;
    }
    byDomain.set(config.routingDomain, [...(byDomain.get(config.routingDomain) ?? []), config]);
  }
  for (const [domain, members] of byDomain) {
    const { routedPodNetworks } = domains[domain];
    const ranges = members.flatMap(rangesOf);
    for (const { outer, inner } of findOverlaps(ranges, (range) => range.cidr)) {
      if (outer.stack === inner.stack || !collides(outer, inner, routedPodNetworks)) continue;
      findings.push({
        code: "routing-domain-overlap",
        severity: "error",
        message: `routing domain ${domain}${routedPodNetworks ? " (routes pod networks)" : ""}: ${describe(outer)} overlaps ${describe(inner)}`,
        subjects: [`${outer.stack}: ${outer.key}`, `${inner.stack}: ${inner.key}`],
        fix: "Give one of the two stacks a range that no other stack in the domain uses.",
      });
    }
  }
  return findings;
}
