/**
 * The program's view of its stack config: the same keys, schema and rules as
 * `npm run plan`, read through the Pulumi runtime instead of the stack file. A
 * config or plan with errors stops `pulumi up` / `pulumi preview` before any
 * resource is declared, with one line per problem and no stack trace.
 */
import * as pulumi from "@pulumi/pulumi";
import { type AddressPlan, planAddresses } from "../plan/addressPlan";
import { type ClusterConfig, parseClusterConfig } from "./clusterConfig";
import { formatProblems } from "./problems";
import { deploymentProblems } from "../deployability";
import { formatFinding } from "../plan/report";
import { splitStackConfig } from "./stackFiles";

/** Pulumi hands every config value over as a string; objects and numbers as JSON. */
function decode(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Reads and validates this stack's config.
 * @throws pulumi.RunError listing every problem, keyed as in the stack file
 */
export function readClusterConfig(): ClusterConfig {
  const all = pulumi.runtime.allConfig();
  const decoded: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(all)) decoded[key] = decode(value);
  const { region, cluster } = splitStackConfig(decoded);
  const stack = pulumi.getStack();
  const result = parseClusterConfig(stack, region, cluster);
  if (!result.ok) {
    throw new pulumi.RunError(
      `the stack config of ${stack} is invalid:\n${formatProblems(stack, result.problems)}`,
    );
  }
  return result.config;
}

/**
 * Plans the cluster's addresses and refuses a plan with errors.
 * @throws pulumi.RunError with the plan's error findings
 */
export function planDeployableAddresses(config: ClusterConfig): AddressPlan {
  const plan = planAddresses(config);
  const errors = plan.findings.filter((finding) => finding.severity === "error");
  if (errors.length > 0) {
    throw new pulumi.RunError(
      `the address plan of ${config.stack} cannot work (see \`npm run plan -- --stack ${config.stack}\`):\n${errors
        .flatMap(formatFinding)
        .join("\n")}`,
    );
  }
  const problems = deploymentProblems(config, plan);
  if (problems.length > 0) {
    throw new pulumi.RunError(
      `${config.stack} cannot be deployed:\n${formatProblems(config.stack, problems)}`,
    );
  }
  for (const warning of plan.findings) {
    pulumi.log.warn(`${warning.code}: ${warning.message} Fix: ${warning.fix}`);
  }
  return plan;
}
