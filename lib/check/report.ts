/**
 * Renders `npm run check` results for people. Policy violations read as
 * `pulumi preview --policy-pack` prints them (its "Policies:" section: pack
 * name@version, `[level]  policy  (type: name)`, the message indented below), so
 * what a team sees locally is what CI's preview will show. Pure: no Pulumi imports.
 */
import { describeProblem } from "../config/problems";
import { displayPath } from "../displayPath";
import { projectName } from "../config/clusterConfig";
import type { RoutingDomainReport } from "./domainCheck";
import type { Shard } from "./shard";
import type { CheckReport, StackCheckResult, Violation } from "./stackCheck";

const indent = (text: string, prefix: string) =>
  text
    .trimEnd()
    .split("\n")
    .map((line, index) => (index === 0 ? line : `${prefix}${line}`))
    .join("\n");

/** One violation, as the CLI prints it under its pack. */
export function formatViolation(violation: Violation): string {
  const heading = `        - [${violation.enforcementLevel}]  ${violation.policyName}  (${violation.resourceType}: ${violation.resourceName})`;
  return `${heading}\n          ${indent(violation.message, "          ")}`;
}

/** The "Policies:" section: ✅ no violations, ⚠️ only advisory ones, ❌ a mandatory one. */
export function formatPolicies(result: StackCheckResult, packDir: string): string {
  if (!result.policyPack) return "";
  const mandatory = result.violations.some((v) => v.enforcementLevel === "mandatory");
  const mark = mandatory ? "❌" : result.violations.length > 0 ? "⚠️" : "✅";
  const where = displayPath(packDir);
  const pack = `${result.policyPack.name}@v${result.policyPack.version}`;
  return [
    "Policies:",
    `    ${mark} ${pack} (local: ${where})`,
    ...result.violations.map(formatViolation),
  ].join("\n");
}

function formatStack(result: StackCheckResult, packDir: string): string {
  const lines = [`== ${result.stack}`];
  if (result.configProblems.length > 0) {
    lines.push(`Invalid config (see \`npm run plan -- --stack ${result.stack}\`):`);
    lines.push(...result.configProblems.map((p) => `  ERROR ${describeProblem(p)}`));
  }
  if (result.programError !== null) {
    lines.push(
      "Diagnostics:",
      `  pulumi:pulumi:Stack (${projectName}-${result.stack}):`,
      `    error: ${indent(result.programError, "    ")}`,
    );
  }
  const policies = formatPolicies(result, packDir);
  if (policies) lines.push(policies);
  return lines.join("\n");
}

export function formatRoutingDomains(report: RoutingDomainReport): string {
  const lines = [`== routing domains (${report.file})`];
  if (report.problems.length > 0) {
    lines.push("Invalid routing domains file; domains not checked:");
    lines.push(...report.problems.map((p) => `  ERROR ${describeProblem(p)}`));
  } else if (report.findings.length === 0) {
    lines.push("  no collisions between stacks that share a domain");
  } else {
    for (const finding of report.findings) {
      lines.push(
        `  ${finding.severity.toUpperCase()} ${finding.code}: ${finding.message}`,
        `    where: ${finding.subjects.join(", ")}`,
        `    fix:   ${finding.fix}`,
      );
    }
  }
  return lines.join("\n");
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

/** One line per stack: passed with what was checked, or FAILED with why. */
export function formatSummaryLine(result: StackCheckResult, width: number): string {
  const name = result.stack.padEnd(width);
  if (!result.ok) return `  ${name}  FAILED  ${result.failures.join("; ")}`;
  const advisory = result.violations.length;
  const violations = advisory === 0 ? "no violations" : plural(advisory, "advisory violation");
  return `  ${name}  passed  ${plural(result.resourceCount, "resource")}, ${violations}`;
}

/**
 * The whole report; ends with `stacks: N passed, M failed` (and, for a shard,
 * ` (shard K/N)`).
 */
export function formatReport(report: CheckReport, packDir: string, shard?: Shard): string {
  const width = Math.max(0, ...report.stacks.map((result) => result.stack.length));
  return [
    ...report.stacks.map((result) => formatStack(result, packDir)),
    formatRoutingDomains(report.routingDomains),
    ["Summary:", ...report.stacks.map((result) => formatSummaryLine(result, width))].join("\n"),
    `stacks: ${report.passed} passed, ${report.failed} failed${
      report.routingDomains.problems.length > 0 ? "; routing domains file invalid" : ""
    }${shard ? ` (shard ${shard.index}/${shard.count})` : ""}`,
  ].join("\n\n");
}
