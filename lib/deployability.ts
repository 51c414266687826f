/**
 * Problems that stop a deployment beyond the network findings: settings the
 * Calico install cannot honour. `npm run plan` and the program both refuse them,
 * so a plan that passes offline does not fail halfway through `pulumi up`. Pure.
 */
import type { AddressPlan } from "./plan/addressPlan";
import { type CalicoProblem, calicoProblems } from "./calicoValues";
import type { ClusterConfig } from "./config/clusterConfig";

export function deploymentProblems(config: ClusterConfig, plan: AddressPlan): CalicoProblem[] {
  // Pod-pool errors are already among the plan's findings; report only the rest.
  const findingCodes = new Set<string>(plan.findings.map((finding) => finding.code));
  return calicoProblems(plan, config).filter((problem) => !findingCodes.has(problem.code));
}
