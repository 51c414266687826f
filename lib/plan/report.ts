/**
 * Renders address plans for people (`npm run plan`) and for machines (`--json`).
 * Pure: no Pulumi imports.
 */
import type { AddressPlan } from "./addressPlan";
import { describeProblem } from "../config/problems";
import type { Finding, Problem } from "../../policy/rules/findings";
import { hasErrors } from "../../policy/rules/findings";

/** One stack's outcome: config problems stop planning; findings come from the shared rules. */
export interface StackPlanResult {
  readonly stack: string;
  /** false when the config is invalid or the plan has an error finding. */
  readonly ok: boolean;
  readonly configProblems: readonly Problem[];
  readonly plan: AddressPlan | null;
}

/**
 * @param outcome config problems alone (the config is invalid), or a plan with any
 *   problems that stop its deployment beyond its findings
 */
export function stackPlanResult(
  stack: string,
  outcome:
    | { problems: readonly Problem[]; plan?: undefined }
    | { plan: AddressPlan; problems?: readonly Problem[] },
): StackPlanResult {
  const problems = outcome.problems ?? [];
  if (outcome.plan === undefined) {
    return { stack, ok: false, configProblems: problems, plan: null };
  }
  const ok = problems.length === 0 && !hasErrors(outcome.plan.findings);
  return { stack, ok, configProblems: problems, plan: outcome.plan };
}

const number = (value: number) => value.toLocaleString("en-US");

function table(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column]))
      .join("  ")
      .trimEnd(),
  );
}

export function formatFinding(finding: Finding): string[] {
  return [
    `  ${finding.severity.toUpperCase()} ${finding.code}: ${finding.message}`,
    `    where: ${finding.subjects.join(", ")}`,
    `    fix:   ${finding.fix}`,
  ];
}

export function formatPlan(plan: AddressPlan): string {
  const lines: string[] = [];
  lines.push(`VPC ${plan.vpcCidr}   service range ${plan.serviceCidr}   region ${plan.region}`);
  lines.push("");
  lines.push(
    ...table([
      ["AZ", "slot", "private subnet", "usable", "max nodes", "public subnet", "usable"],
      ...plan.availabilityZones.map((zone) => [
        zone.name,
        String(zone.slot),
        zone.privateSubnet.cidr,
        number(zone.privateSubnet.usableAddresses),
        number(zone.privateSubnet.maxNodes),
        zone.publicSubnet.cidr,
        number(zone.publicSubnet.usableAddresses),
      ]),
    ]).map((line) => `  ${line}`),
  );
  const pool = plan.podPool;
  lines.push("");
  lines.push(
    `Pod pool ${pool.cidr}: /${pool.blockSize} blocks (${number(pool.addressesPerBlock)} addresses each, ${pool.blockSizeSource}), ${number(pool.blocks)} blocks = nodes it can serve; node groups can reach ${number(pool.maxNodes)} nodes; ${pool.encapsulation}`,
  );
  lines.push(`Routing: ${plan.routing.mode} (${plan.routing.reason})`);
  lines.push("");
  lines.push(
    ...table([
      ["node group", "role", "min", "max", "maxPods", "AZs"],
      ...plan.nodeGroups.map((group) => [
        group.name,
        group.role,
        String(group.minSize),
        String(group.maxSize),
        String(group.maxPods),
        group.availabilityZones.join(","),
      ]),
    ]).map((line) => `  ${line}`),
  );
  if (plan.reservedRanges.length > 0) {
    lines.push("");
    lines.push(
      `Reserved: ${plan.reservedRanges.map((range) => `${range.name} ${range.cidr}`).join(", ")}`,
    );
  }
  lines.push("");
  if (plan.findings.length === 0) lines.push("Findings: none");
  else lines.push("Findings:", ...plan.findings.flatMap(formatFinding));
  return lines.join("\n");
}

export function formatResult(result: StackPlanResult): string {
  const status = result.ok ? "ok" : "REFUSED";
  const header = `== ${result.stack} (${status})`;
  if (result.plan === null) {
    const problems = result.configProblems.map((problem) => `  ERROR ${describeProblem(problem)}`);
    return [header, "Invalid config:", ...problems].join("\n");
  }
  const problems = result.configProblems.map(
    (problem) => `  ERROR ${describeProblem(problem, ": ")}`,
  );
  return [
    header,
    formatPlan(result.plan),
    ...(problems.length > 0 ? ["Cannot deploy:", ...problems] : []),
  ].join("\n");
}
