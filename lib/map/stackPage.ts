/**
 * `<stack>.html`: a stack's ranges on their address spaces (with any routing-domain
 * neighbour it collides with), its VPC by AZ slot and tier, its pod pool's
 * blocks, its service and reserved ranges and node groups, each with the findings
 * that concern it. An invalid config shows its problems instead.
 */
import type { Problem } from "../../policy/rules/findings";
import { hasErrors } from "../../policy/rules/findings";
import type { AddressPlan } from "../plan/addressPlan";
import { FindingPlacement, findingList } from "./findingList";
import { type MapStack, neighbourRanges, rangeView } from "./model";
import { page } from "./page";
import { poolSection } from "./poolView";
import { legend, rangeStrips } from "./rangeStrip";
import { element, escape, formatNumber, table } from "./svg";
import { vpcSection } from "./vpcView";

export const stackPageFile = (stack: string) => `${encodeURIComponent(stack)}.html`;

export function stackOk(entry: MapStack): boolean {
  return (
    entry.plan !== undefined &&
    entry.problems.length === 0 &&
    !hasErrors(entry.plan.findings) &&
    !hasErrors(entry.domainFindings)
  );
}

export function statusBadge(entry: MapStack): string {
  return stackOk(entry)
    ? element("span", { class: "status ok" }, "ok")
    : element("span", { class: "status refused" }, "REFUSED");
}

function rangesSection(
  plan: AddressPlan,
  findings: FindingPlacement,
  entry: MapStack,
  all: readonly MapStack[],
): string {
  const view = rangeView([entry], neighbourRanges(entry, all));
  const reservedRows = plan.reservedRanges.map((range, index) => [
    escape(range.name),
    element("code", {}, escape(range.cidr)),
    findings.list(`reserved-${index}`) || "none",
  ]);
  return element(
    "section",
    { id: "ranges" },
    element("h2", {}, "Address ranges") +
      legend +
      rangeStrips(view) +
      element(
        "div",
        { id: "service", class: findings.hasError("service") ? "element has-error" : "element" },
        element("h3", {}, `Service range ${element("code", {}, escape(plan.serviceCidr))}`) +
          findings.list("service"),
      ) +
      element(
        "div",
        { id: "reserved" },
        element("h3", {}, "Reserved ranges") +
          (reservedRows.length > 0
            ? table(["name", "CIDR", "findings"], reservedRows)
            : element("p", {}, "none")),
      ),
  );
}

function groupsSection(plan: AddressPlan, findings: FindingPlacement): string {
  const masters = plan.nodeGroups.filter((group) => group.role === "master");
  let workerIndex = -1;
  const rows = plan.nodeGroups.map((group) => {
    const first = group.role === "master" && group === masters[0];
    if (group.role === "worker") workerIndex += 1;
    const id = group.role === "master" ? "group-masters" : `group-${workerIndex}`;
    return [
      escape(group.name),
      group.role,
      String(group.minSize),
      String(group.maxSize),
      String(group.maxPods),
      escape(group.availabilityZones.join(", ")),
      group.role === "master" && !first ? "" : findings.list(id) || "none",
    ];
  });
  return element(
    "section",
    { id: "groups" },
    element("h2", {}, "Node groups") +
      element(
        "p",
        {},
        `${formatNumber(plan.podPool.maxNodes)} nodes at maxSize, masters included; each takes one pod block and one address of its AZ's private subnet.`,
      ) +
      table(["group", "role", "min", "max", "maxPods", "AZs", "findings"], rows),
  );
}

function problemsSection(title: string, problems: readonly Problem[]): string {
  if (problems.length === 0) return "";
  return element(
    "section",
    { id: "problems", class: "element has-error" },
    element("h2", {}, escape(title)) + findingList(problems, "problems"),
  );
}

/**
 * @param entry the stack
 * @param all every stack of the directory (to draw neighbours it collides with)
 * @param indexHref the link back to the index
 */
export function stackPage(
  entry: MapStack,
  all: readonly MapStack[],
  indexHref = "index.html",
): string {
  const header =
    element("nav", {}, element("a", { href: indexHref }, "← all stacks and routing domains")) +
    element("h1", {}, `${escape(entry.stack)} ${statusBadge(entry)}`);
  const plan = entry.plan;
  if (plan === undefined) {
    return page(
      `${entry.stack}: invalid config`,
      header +
        element("p", {}, "The stack file is invalid, so there is no plan to draw.") +
        problemsSection("Config problems", entry.problems),
    );
  }
  const findings = new FindingPlacement([...plan.findings, ...entry.domainFindings]);
  const summary = element(
    "p",
    {},
    `Cluster ${element("code", {}, escape(plan.clusterName))} in ${escape(plan.region)}; VPC ${element("code", {}, escape(plan.vpcCidr))}, pod pool ${element("code", {}, escape(plan.podPool.cidr))}, service range ${element("code", {}, escape(plan.serviceCidr))}` +
      (entry.config?.routingDomain
        ? `; routing domain ${element("code", {}, escape(entry.config.routingDomain))}`
        : "; in no routing domain") +
      `. ${plan.findings.length + entry.domainFindings.length} finding(s).`,
  );
  const body = [
    header,
    summary,
    problemsSection("Cannot deploy", entry.problems),
    rangesSection(plan, findings, entry, all),
    vpcSection(plan, findings, entry.config?.ipam?.poolId),
    poolSection(plan, findings),
    groupsSection(plan, findings),
    findings.rest()
      ? element(
          "section",
          { id: "other-findings" },
          element("h2", {}, "Other findings") + findings.rest(),
        )
      : "",
  ].join("");
  return page(`${entry.stack}: address plan`, body);
}
