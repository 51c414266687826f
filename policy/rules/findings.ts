/**
 * Findings: what a rule reports. The planner prints them; the pack turns them
 * into policy violations. Codes are stable so tests, CI and people can rely on them.
 */

export type Severity = "error" | "warning";

export const findingCodes = [
  "invalid-cidr",
  "cidr-overlap",
  "subnet-outside-vpc",
  "subnet-overlap",
  "block-size-out-of-range",
  "pool-smaller-than-block",
  "block-too-small-for-pods",
  "pool-too-small-for-nodes",
  "subnet-too-small-for-nodes",
  "encapsulation-required",
  "block-size-derived",
  "calico-ports-closed",
  "bgp-mesh-too-large",
] as const;

export type FindingCode = (typeof findingCodes)[number];

/**
 * The one shape of "something is wrong", everywhere: config problems, planner and
 * pack findings, routing-domain findings, install refusals. Every command prints
 * and serialises it the same way.
 */
export interface Problem<Code extends string = string> {
  /** Stable, kebab-case: tests, CI and people may rely on it. */
  readonly code: Code;
  readonly severity: Severity;
  /** Where: stack-file keys or resource URNs, most relevant first. */
  readonly subjects: readonly string[];
  /** One line naming the values and what is wrong with them. */
  readonly message: string;
  /** What to change to resolve it; empty when the message already says. */
  readonly fix: string;
}

/** A finding of the shared network rules. */
export type Finding = Problem<FindingCode>;

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((problem) => problem.severity === "error");
}
