/**
 * Resource naming. Logical names (which make URNs) come only from stable keys:
 * AZ name, role, group name. Never from list positions or the cluster name, so
 * reordering config or renaming the cluster's display name replaces nothing.
 * Display names (`Name` tags, AWS-side names) are kept apart for the same reason.
 */

/** Logical resource name from stable keys, e.g. `eu-west-1a-private`. */
export function logicalName(...keys: readonly string[]): string {
  return keys.join("-");
}

/** The `Name` tag people see in the console, e.g. `payments-prod-eu-west-1a-private`. */
export function displayName(clusterName: string, ...keys: readonly string[]): string {
  return [clusterName, ...keys].join("-");
}

/** Tag that marks resources as owned by the cluster (cloud provider and LB controller read it). */
export function clusterOwnershipTag(clusterName: string): Record<string, string> {
  return { [`kubernetes.io/cluster/${clusterName}`]: "owned" };
}

/** Tags every taggable resource carries, through the AWS provider's default tags. */
export function commonTags(config: {
  clusterName: string;
  team: string;
  environment: string;
}): Record<string, string> {
  return { cluster: config.clusterName, team: config.team, environment: config.environment };
}
