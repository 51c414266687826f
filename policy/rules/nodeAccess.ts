/**
 * Node-access rule: with IPIP, Calico needs IP protocol 4 (the tunnel) between
 * nodes in different subnets and TCP 179 (BGP, which carries every node's block
 * route) between all nodes. AWS security groups drop both unless a rule allows
 * them, and the symptom (pods that cannot reach pods on other nodes) shows only
 * after the cluster is up.
 *
 * A rule reports only what the known values prove: an unknown protocol, port,
 * source or group makes a pair "cannot tell", never "closed".
 */
import { contains, parseCidr } from "./cidr";
import type { IngressRuleFact, NetworkFacts, NodeGroupFact, SecurityGroupFact } from "./facts";
import type { Finding } from "./findings";
import { bgpPort, ipipProtocolNumber } from "./wellKnown";

/** true: allowed; false: not allowed; undefined: the known values cannot tell. */
type Verdict = boolean | undefined;

/** Protocol numbers as strings, so `tcp` and `6` compare equal; `-1` means all protocols. */
function protocolNumber(protocol: string): string {
  const spelled = protocol.trim().toLowerCase();
  const names: Record<string, string> = { all: "-1", tcp: "6", udp: "17", icmp: "1", icmpv6: "58" };
  return names[spelled] ?? spelled;
}

interface Need {
  readonly label: string;
  readonly allows: (rule: IngressRuleFact) => Verdict;
}

function allowsProtocol(rule: IngressRuleFact, number: string): Verdict {
  if (rule.protocol === undefined) return undefined;
  const protocol = protocolNumber(rule.protocol);
  return protocol === "-1" || protocol === number;
}

function allowsTcpPort(rule: IngressRuleFact, port: number): Verdict {
  if (rule.protocol === undefined) return undefined;
  const protocol = protocolNumber(rule.protocol);
  if (protocol === "-1") return true;
  if (protocol !== "6") return false;
  if (rule.fromPort === undefined || rule.toPort === undefined) return undefined;
  return rule.fromPort <= port && port <= rule.toPort;
}

const ipipNeed: Need = {
  label: `IP protocol ${ipipProtocolNumber} (IPIP)`,
  allows: (r) => allowsProtocol(r, ipipProtocolNumber),
};
const bgpNeed: Need = { label: `TCP ${bgpPort} (BGP)`, allows: (r) => allowsTcpPort(r, bgpPort) };

/**
 * Which needs apply: BGP with any IPIP pool unless every Calico install has BGP
 * off (Felix routing); the tunnel when it is always on or nodes span subnets.
 */
function needsOf(facts: NetworkFacts): Need[] {
  const pools = facts.podPools.filter((pool) => pool.disabled !== true);
  const always = pools.some((pool) => pool.encapsulation === "IPIP");
  const crossSubnet = pools.some((pool) => pool.encapsulation === "IPIPCrossSubnet");
  if (!always && !crossSubnet) return [];
  const installs = facts.calicoRouting?.installs ?? [];
  const bgp = installs.length === 0 || installs.some((install) => install.bgp !== false);
  const subnets = new Set(facts.nodeGroups.flatMap((group) => group.subnets ?? []));
  const tunnel = always || subnets.size > 1 ? [ipipNeed] : [];
  return bgp ? [...tunnel, bgpNeed] : tunnel;
}

/**
 * Whether `target`'s security groups let `need` in from every node of `source`.
 * A security-group source covers the whole source group; CIDR sources must
 * together cover each of its subnets.
 */
function admits(
  need: Need,
  target: readonly string[],
  source: NodeGroupFact,
  groups: ReadonlyMap<string, SecurityGroupFact>,
  subnetCidrs: ReadonlyMap<string, string | undefined>,
): Verdict {
  let unknown = false;
  const covered = new Set<string>();
  const sourceSubnets = source.subnets;
  for (const groupSubject of target) {
    const ingress = groups.get(groupSubject)?.ingress;
    if (ingress === undefined) {
      unknown = true;
      continue;
    }
    for (const rule of ingress) {
      const allowed = need.allows(rule);
      if (allowed === false) continue;
      if (rule.otherSources) unknown = true;
      for (const sourceGroup of rule.sourceSecurityGroups) {
        if (sourceGroup === undefined || source.securityGroups === undefined) unknown = true;
        else if (source.securityGroups.includes(sourceGroup)) {
          if (allowed === true) return true;
          unknown = true;
        }
      }
      for (const text of rule.sourceCidrs) {
        const parsed = text === undefined ? undefined : parseCidr(text);
        if (parsed === undefined) {
          unknown = true;
          continue;
        }
        if (!parsed.ok || parsed.cidr.family !== "ipv4") continue;
        if (parsed.cidr.prefix === 0 && allowed === true) return true;
        if (sourceSubnets === undefined) {
          unknown = true;
          continue;
        }
        for (const subnet of sourceSubnets) {
          const subnetText = subnetCidrs.get(subnet);
          const subnetCidr = subnetText === undefined ? undefined : parseCidr(subnetText);
          if (subnetCidr === undefined || !subnetCidr.ok) unknown = true;
          else if (contains(parsed.cidr, subnetCidr.cidr)) {
            if (allowed === true) covered.add(subnet);
            else unknown = true;
          }
        }
      }
    }
  }
  if (sourceSubnets !== undefined && sourceSubnets.length > 0) {
    if (sourceSubnets.every((subnet) => covered.has(subnet))) return true;
  }
  return unknown ? undefined : false;
}

/**
 * Node groups whose security groups provably keep out Calico's IPIP or BGP traffic.
 *
 * The verdict for a pair depends only on the target's security groups and the
 * source's security groups and subnets, so pairs are judged once per class of
 * equal groups: a stack of thousands of groups over a few shared security groups
 * costs what a handful of groups cost.
 */
export function checkCalicoPorts(facts: NetworkFacts): Finding[] {
  const needs = needsOf(facts);
  if (needs.length === 0) return [];
  const groups = new Map((facts.securityGroups ?? []).map((group) => [group.subject, group]));
  const subnetCidrs = new Map(facts.subnets.map((subnet) => [subnet.subject, subnet.cidr]));
  const label = (subject: string) => groups.get(subject)?.label ?? subject;

  interface SourceClass {
    readonly example: NodeGroupFact;
    readonly members: number[];
  }
  const sourceClasses = new Map<string, SourceClass>();
  facts.nodeGroups.forEach((source, index) => {
    const key = JSON.stringify([source.securityGroups ?? null, source.subnets ?? null]);
    const found = sourceClasses.get(key);
    if (found) found.members.push(index);
    else sourceClasses.set(key, { example: source, members: [index] });
  });

  /** Per target security-group set: each blocked source (by index) and the needs it misses. */
  const blockedFor = new Map<string, { index: number; closed: Need[] }[]>();
  const blockedSourcesOf = (targetGroups: readonly string[]) => {
    const key = JSON.stringify(targetGroups);
    let blocked = blockedFor.get(key);
    if (blocked !== undefined) return blocked;
    blocked = [];
    for (const { example, members } of sourceClasses.values()) {
      const closed = needs.filter(
        (need) => admits(need, targetGroups, example, groups, subnetCidrs) === false,
      );
      if (closed.length === 0) continue;
      for (const index of members) blocked.push({ index, closed });
    }
    blocked.sort((a, b) => a.index - b.index);
    blockedFor.set(key, blocked);
    return blocked;
  };

  const findings: Finding[] = [];
  for (const target of facts.nodeGroups) {
    const targetGroups = target.securityGroups;
    if (targetGroups === undefined || targetGroups.length === 0) continue;
    const blocked = blockedSourcesOf(targetGroups);
    if (blocked.length === 0) continue;
    const missing = new Set<string>();
    for (const { closed } of blocked) for (const need of closed) missing.add(need.label);
    const blockedSources = blocked.map(({ index }) => facts.nodeGroups[index]);
    findings.push({
      code: "calico-ports-closed",
      severity: "error",
      message: `node group ${target.label} (security groups ${targetGroups.map(label).join(", ")}) does not let in ${[...missing].join(" or ")} from node groups ${blockedSources.map((source) => source.label).join(", ")}; pods on those nodes cannot reach each other`,
      subjects: [
        targetGroups[0],
        target.subject,
        ...blockedSources.map((source) => source.subject).filter((s) => s !== target.subject),
      ],
      fix: `Allow ${[...missing].join(" and ")} into ${label(targetGroups[0])} from the nodes' security groups (a self-referencing rule when all nodes share one), or from the VPC CIDR.`,
    });
  }
  return findings;
}
