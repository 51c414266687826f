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
] as const;

export type FindingCode = (typeof findingCodes)[number];

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  /** One line naming the values and what is wrong with them. */
  readonly message: string;
  /** Where: config key paths or resource URNs, most relevant first. */
  readonly subjects: readonly string[];
  /** What to change to resolve it. */
  readonly fix: string;
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((finding) => finding.severity === "error");
}
