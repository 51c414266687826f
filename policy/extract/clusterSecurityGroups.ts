/**
 * The AWS cloud controller's best-known failure: an instance whose security
 * groups include two or more tagged `kubernetes.io/cluster/<name>` for the same
 * cluster. The controller then cannot tell which group to open for a load
 * balancer and refuses every `type: LoadBalancer` Service on those nodes
 * ("Multiple tagged security groups found for instance", kubernetes/kubernetes#73906).
 *
 * Read from launch templates (`vpcSecurityGroupIds`, `networkInterfaces[].securityGroups`),
 * launch configurations (`securityGroups`) and instances (`vpcSecurityGroupIds`).
 * A group is related by its id (update) or, while ids are unknown, by the
 * property's dependency URNs (preview). Only what the known values prove is
 * reported: a group whose tags are unknown, or an id naming nothing declared
 * here, never counts. One pass over the resources, map lookups after: linear.
 */
import type { Problem } from "../rules/findings";
import { awsTypes } from "./aws";
import type { Declared, ResourceGraph } from "./resources";
import { type Value, asArray, asString, at, isRecord, unknown } from "./values";

export const clusterTagPrefix = "kubernetes.io/cluster/";

const instanceType = "aws:ec2/instance:Instance";

export type ClusterSecurityGroupProblem = Problem<"multiple-cluster-security-groups">;

/** Cluster names a group's known tags mark it for; `tagsAll` (update) includes the provider's default tags. */
function clustersOf(group: Declared): Set<string> {
  const clusters = new Set<string>();
  const tagMaps: (Value | undefined)[] = [group.props.tags, group.props.tagsAll];
  for (const tags of tagMaps) {
    if (!isRecord(tags)) continue;
    for (const [key, value] of Object.entries(tags)) {
      if (!key.startsWith(clusterTagPrefix) || key.length === clusterTagPrefix.length) continue;
      if (typeof value === "string") clusters.add(key.slice(clusterTagPrefix.length));
    }
  }
  return clusters;
}

/** The group lists of a source, each with the property whose dependencies stand for its unknowns. */
interface GroupList {
  readonly property: string;
  readonly value: Value | undefined;
}

function groupLists(source: Declared): GroupList[] {
  if (source.type === awsTypes.launchConfiguration) {
    return [{ property: "securityGroups", value: source.props.securityGroups }];
  }
  const lists: GroupList[] = [
    { property: "vpcSecurityGroupIds", value: source.props.vpcSecurityGroupIds },
  ];
  if (source.type === awsTypes.launchTemplate) {
    const interfaces = asArray(source.props.networkInterfaces);
    if (interfaces === unknown) lists.push({ property: "networkInterfaces", value: unknown });
    for (const networkInterface of interfaces === unknown ? [] : (interfaces ?? [])) {
      lists.push({ property: "networkInterfaces", value: at(networkInterface, "securityGroups") });
    }
  }
  return lists;
}

/** Every source with two or more known groups tagged for one cluster. */
export function checkClusterSecurityGroups(graph: ResourceGraph): ClusterSecurityGroupProblem[] {
  const groups = graph.ofType(awsTypes.securityGroup);
  const byId = new Map<string, Declared>();
  const byUrn = new Map<string, Declared>();
  for (const group of groups) {
    byUrn.set(group.urn, group);
    const id = asString(group.props.id);
    if (typeof id === "string") byId.set(id, group);
  }
  const clusters = new Map<string, Set<string>>();
  const clustersFor = (group: Declared): Set<string> => {
    const cached = clusters.get(group.urn);
    if (cached !== undefined) return cached;
    const found = clustersOf(group);
    clusters.set(group.urn, found);
    return found;
  };

  const problems: ClusterSecurityGroupProblem[] = [];
  const sources = graph.ofType(awsTypes.launchTemplate, awsTypes.launchConfiguration, instanceType);
  for (const source of sources) {
    const attached = new Map<string, Declared>();
    for (const list of groupLists(source)) {
      const elements = asArray(list.value);
      let unknowns = elements === unknown;
      for (const element of elements === unknown ? [] : (elements ?? [])) {
        const id = asString(element);
        if (id === unknown) unknowns = true;
        const group = typeof id === "string" ? byId.get(id) : undefined;
        if (group) attached.set(group.urn, group);
      }
      if (!unknowns) continue;
      for (const urn of source.propertyDependencies?.[list.property] ?? []) {
        const group = byUrn.get(urn);
        if (group) attached.set(group.urn, group);
      }
    }
    const tagged = new Map<string, Declared[]>();
    for (const group of attached.values()) {
      for (const cluster of clustersFor(group)) {
        tagged.set(cluster, [...(tagged.get(cluster) ?? []), group]);
      }
    }
    for (const [cluster, many] of tagged) {
      if (many.length < 2) continue;
      const names = many.map((group) => group.name).join(", ");
      problems.push({
        code: "multiple-cluster-security-groups",
        severity: "error",
        subjects: [source.urn, ...many.map((group) => group.urn)],
        message: `${source.name} puts ${many.length} security groups tagged ${clusterTagPrefix}${cluster} on its instances (${names}); the AWS cloud controller then refuses every LoadBalancer Service on them ("Multiple tagged security groups found")`,
        fix: `Keep ${clusterTagPrefix}${cluster} on exactly one of the instance's security groups (the one load balancers may open) and remove it from the others; tags change in place, the groups stay.`,
      });
    }
  }
  return problems;
}
