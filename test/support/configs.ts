/** Raw stack configs for tests: one valid cluster, changed one key per case. */
import { type AddressPlan, planAddresses } from "../../lib/plan/addressPlan";
import { type ClusterConfig, parseClusterConfig } from "../../lib/config/clusterConfig";
import type { ConfigProblem } from "../../lib/config/problems";

export const testRegion = "eu-west-1";

/** A valid 3-AZ cluster, as the keys under `calico-cluster:` in a stack file. */
export function validClusterInput(): Record<string, unknown> {
  return {
    clusterName: "unit",
    team: "platform",
    environment: "test",
    availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
    vpcCidr: "10.50.0.0/16",
    podCidr: "100.70.0.0/16",
    podBlockSize: 25,
    workerGroups: [
      { name: "general", instanceType: "m6i.xlarge", minSize: 1, maxSize: 20, maxPods: 110 },
    ],
    reservedRanges: [{ name: "on-premises", cidr: "10.0.0.0/14" }],
  };
}

export function configFrom(
  input: Record<string, unknown>,
  region: string = testRegion,
): ClusterConfig {
  const result = parseClusterConfig("unit", region, input);
  if (!result.ok) throw new Error(`test config invalid: ${JSON.stringify(result.problems)}`);
  return result.config;
}

export function planFrom(input: Record<string, unknown>): AddressPlan {
  return planAddresses(configFrom(input));
}

export function problemsFor(
  input: Record<string, unknown>,
  region: unknown = testRegion,
): readonly ConfigProblem[] {
  const result = parseClusterConfig("unit", region, input);
  return result.ok ? [] : result.problems;
}
