/**
 * `index.html`: one view per routing domain, every member stack's VPC, pod pool
 * and service range and every reserved range on the domain's address spaces,
 * free gaps and collisions shown, each stack linked to its own page. Stacks in
 * no domain are listed on their own: nothing routes between them.
 */
import type { Problem } from "../../policy/rules/findings";
import type { RoutingDomains } from "../config/routingDomains";
import { findingList } from "./findingList";
import { type MapStack, rangeView } from "./model";
import { page } from "./page";
import { legend, rangeStrips } from "./rangeStrip";
import { stackPageFile, statusBadge } from "./stackPage";
import { element, escape, table } from "./svg";

export interface IndexInput {
  readonly stacks: readonly MapStack[];
  readonly domains: RoutingDomains;
  /** Problems reading routing-domains.yaml. */
  readonly domainFileProblems: readonly Problem[];
  /** Stacks whose page was written (others are drawn but not linked). */
  readonly linked: ReadonlySet<string>;
}

function stackLink(entry: MapStack, linked: ReadonlySet<string>): string {
  const name = linked.has(entry.stack)
    ? element("a", { href: stackPageFile(entry.stack) }, escape(entry.stack))
    : escape(entry.stack);
  return `${name} ${statusBadge(entry)}`;
}

function stackTable(members: readonly MapStack[], linked: ReadonlySet<string>): string {
  return table(
    ["stack", "VPC", "pod pool", "service range", "region"],
    members.map((entry) => [
      stackLink(entry, linked),
      entry.config ? element("code", {}, escape(entry.config.vpcCidr)) : "invalid config",
      entry.config ? element("code", {}, escape(entry.config.podCidr)) : "",
      entry.config ? element("code", {}, escape(entry.config.serviceCidr)) : "",
      entry.config ? escape(entry.config.region) : "",
    ]),
  );
}

/** A domain's findings, once each (every member carries the ones naming it). */
function domainFindings(members: readonly MapStack[]): Problem[] {
  const seen = new Map<string, Problem>();
  for (const entry of members) {
    for (const finding of entry.domainFindings)
      seen.set(`${finding.code} ${finding.message}`, finding);
  }
  return [...seen.values()];
}

function domainSection(
  name: string,
  description: string,
  routed: boolean,
  members: readonly MapStack[],
  linked: ReadonlySet<string>,
): string {
  const valid = members.filter((entry) => entry.config !== undefined);
  const findings = domainFindings(members);
  const rules = routed
    ? "Pod networks are routed between its clusters: VPC, pod and service ranges must all be disjoint."
    : "Pod traffic leaves through the nodes: pod ranges may repeat, but no pod or service range may overlap another stack's VPC or reserved ranges.";
  return element(
    "section",
    { class: "domain", id: `domain-${name}`, "data-domain": name },
    element("h2", {}, `Routing domain ${element("code", {}, escape(name))}`) +
      element(
        "p",
        {},
        `${escape(description)}${/[.!?]$/.test(description) || description === "" ? "" : "."} ${rules}`,
      ) +
      findingList(findings, `domain-${name}`) +
      stackTable(members, linked) +
      (valid.length > 0
        ? rangeStrips(rangeView(valid))
        : element("p", {}, "No valid stack in this domain.")),
  );
}

export function indexPage(input: IndexInput): string {
  const byDomain = new Map<string, MapStack[]>();
  const alone: MapStack[] = [];
  for (const entry of input.stacks) {
    const domain = entry.config?.routingDomain;
    if (domain === undefined) alone.push(entry);
    else byDomain.set(domain, [...(byDomain.get(domain) ?? []), entry]);
  }
  const declared = Object.keys(input.domains).sort();
  const undeclared = [...byDomain.keys()].filter((domain) => !declared.includes(domain)).sort();
  const sections = [
    ...declared.map((name) =>
      domainSection(
        name,
        input.domains[name].description ?? "",
        input.domains[name].routedPodNetworks,
        byDomain.get(name) ?? [],
        input.linked,
      ),
    ),
    ...undeclared.map((name) =>
      domainSection(
        name,
        "Not declared in routing-domains.yaml.",
        false,
        byDomain.get(name) ?? [],
        input.linked,
      ),
    ),
  ];
  const standalone =
    alone.length > 0
      ? element(
          "section",
          { id: "no-domain" },
          element("h2", {}, "Stacks in no routing domain") +
            element(
              "p",
              {},
              "Nothing routes between these stacks, so their ranges may overlap each other; each page shows its own ranges.",
            ) +
            stackTable(alone, input.linked),
        )
      : "";
  const body = [
    element("h1", {}, "Address plan"),
    element(
      "p",
      {},
      `${input.stacks.length} stack(s), ${declared.length} routing domain(s). Written by ${element("code", {}, "npm run map")} from the stack files alone.`,
    ),
    input.domainFileProblems.length > 0
      ? element(
          "section",
          { class: "element has-error" },
          element("h2", {}, "routing-domains.yaml is invalid") +
            findingList(input.domainFileProblems, "routing-domains"),
        )
      : "",
    legend,
    ...sections,
    standalone,
  ].join("");
  return page("Address plan", body);
}
