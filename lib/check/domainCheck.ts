/**
 * The routing-domain part of `npm run check`: every valid stack of the
 * directory checked together (lib/config/routingDomains.ts), findings kept to the
 * stacks being checked, and which stacks they fail.
 */
import * as path from "node:path";
import { displayPath } from "../displayPath";
import type { ClusterConfig } from "../config/clusterConfig";
import type { ConfigProblem } from "../config/problems";
import {
  type DomainFinding,
  checkRoutingDomains,
  routingDomainsFileName,
} from "../config/routingDomains";
import { loadRoutingDomains, loadStack } from "../config/stackFiles";

export interface RoutingDomainReport {
  /** The domains file, as displayed (relative to the working directory when below it). */
  readonly file: string;
  /** Problems reading the file (it is then not checked). */
  readonly problems: readonly ConfigProblem[];
  readonly findings: readonly DomainFinding[];
}

/** The stacks a routing-domain finding names (subjects are `<stack>: <key>`). */
export function stacksNamedBy(finding: DomainFinding): string[] {
  return [...new Set(finding.subjects.map((subject) => subject.split(": ")[0]))];
}

/**
 * Checks the routing domains shared by every valid stack of the directory.
 * @param only report just the findings that name one of these stacks; default all
 */
export function checkDomains(
  stacksDir: string,
  stacks: readonly string[],
  only?: readonly string[],
): RoutingDomainReport {
  const file = displayPath(path.join(stacksDir, routingDomainsFileName));
  const domains = loadRoutingDomains(stacksDir);
  if (!domains.ok) return { file, problems: domains.problems, findings: [] };
  const configs = stacks
    .map((stack) => loadStack(stack, stacksDir))
    .flatMap((result): ClusterConfig[] => (result.ok ? [result.config] : []));
  const findings = checkRoutingDomains(configs, domains.domains).filter(
    (finding) => !only || stacksNamedBy(finding).some((stack) => only.includes(stack)),
  );
  return { file, problems: [], findings };
}

/** Why a stack fails the routing-domain check, as summary phrases. */
export function domainFailures(stack: string, findings: readonly DomainFinding[]): string[] {
  const others = new Set<string>();
  let undeclared = false;
  for (const finding of findings) {
    const named = stacksNamedBy(finding);
    if (!named.includes(stack)) continue;
    if (finding.code === "unknown-routing-domain") undeclared = true;
    for (const other of named) if (other !== stack) others.add(other);
  }
  return [
    ...(undeclared ? ["undeclared routing domain"] : []),
    ...(others.size > 0 ? [`routing domain collision with ${[...others].sort().join(", ")}`] : []),
  ];
}
