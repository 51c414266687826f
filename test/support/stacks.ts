/** The example team stacks in `stacks/`, loaded and planned the way the program does it. */
import { type AddressPlan, planAddresses } from "../../lib/plan/addressPlan";
import type { ClusterConfig } from "../../lib/config/clusterConfig";
import { listStacks, loadStack } from "../../lib/config/stackFiles";

export const exampleStacks: readonly string[] = listStacks();

export function loadExample(stack: string): { config: ClusterConfig; plan: AddressPlan } {
  const result = loadStack(stack);
  if (!result.ok) {
    throw new Error(`example stack ${stack} is invalid: ${JSON.stringify(result.problems)}`);
  }
  return { config: result.config, plan: planAddresses(result.config) };
}
