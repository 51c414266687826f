/**
 * Network facts from AWS resources, found by type token: VPC ranges (primary and
 * associated), subnets, and Auto Scaling groups as node groups with the security
 * groups on their nodes (the groups' rules: ./securityGroups.ts). No @pulumi/aws
 * import: a policy pack that loads a provider SDK takes seconds to start.
 */
import type { NodeGroupFact, SubnetFact, VpcRangeFact } from "../rules/facts";
import { maxPodsTagKey } from "../rules/wellKnown";
import type { Declared, RefKeys, ResourceGraph } from "./resources";
import { type Value, asArray, asNumber, asString, at, known, unknown } from "./values";

export const awsTypes = {
  vpc: "aws:ec2/vpc:Vpc",
  vpcCidrAssociation: "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
  subnet: "aws:ec2/subnet:Subnet",
  autoScalingGroup: "aws:autoscaling/group:Group",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  launchConfiguration: "aws:ec2/launchConfiguration:LaunchConfiguration",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
} as const;

/** List elements of a property: unknown as a whole, or its items (absent: none). */
function elementsOf(value: Value | undefined): readonly Value[] | typeof unknown {
  const list = asArray(value);
  return list === undefined ? [] : list;
}

export function extractVpcRanges(graph: ResourceGraph): VpcRangeFact[] {
  const vpcs = graph.ofType(awsTypes.vpc);
  const facts: VpcRangeFact[] = vpcs.map((vpc) => ({
    subject: vpc.urn,
    label: vpc.name,
    vpc: vpc.urn,
    cidr: known(asString(vpc.props.cidrBlock)),
  }));
  for (const association of graph.ofType(awsTypes.vpcCidrAssociation)) {
    const cidr = known(asString(association.props.cidrBlock));
    const vpc = graph.ref(association, "vpcId", association.props.vpcId, [awsTypes.vpc]);
    const label = `${association.name} (secondary range)`;
    if (vpc !== undefined) {
      facts.push({ subject: association.urn, label, vpc, cidr });
      continue;
    }
    // Which VPC it extends is unknown, so no VPC's ranges are complete: unknown
    // placeholders keep the subnet-inside-VPC rule from guessing.
    facts.push({ subject: association.urn, label, vpc: association.urn, cidr });
    for (const other of vpcs)
      facts.push({ subject: association.urn, label, vpc: other.urn, cidr: undefined });
  }
  return facts;
}

export function extractSubnets(graph: ResourceGraph): SubnetFact[] {
  return graph.ofType(awsTypes.subnet).map((subnet) => ({
    subject: subnet.urn,
    label: subnet.name,
    cidr: known(asString(subnet.props.cidrBlock)),
    vpc: graph.ref(subnet, "vpcId", subnet.props.vpcId, [awsTypes.vpc]),
    availabilityZone: known(asString(subnet.props.availabilityZone)),
  }));
}

/**
 * Whether a group's tags mark its nodes as Kubernetes nodes: the cloud provider's
 * `kubernetes.io/cluster/<name>` or cluster-autoscaler's `k8s.io/cluster-autoscaler/...`.
 */
export function isKubernetesNodeGroup(group: Declared): boolean {
  const tags = asArray(group.props.tags);
  if (tags === unknown || tags === undefined) return false;
  return tags.some((tag) => {
    const key = asString(at(tag, "key"));
    return (
      typeof key === "string" &&
      (key.startsWith("kubernetes.io/cluster/") || key.startsWith("k8s.io/cluster-autoscaler/"))
    );
  });
}

/** maxPods from the node-template tag; the default when no tag says otherwise. */
function maxPodsOf(group: Declared, defaultMaxPods: number): number | undefined {
  const tags = asArray(group.props.tags);
  if (tags === unknown) return undefined;
  let unknownKey = false;
  for (const tag of tags ?? []) {
    const key = asString(at(tag, "key"));
    if (key === unknown) unknownKey = true;
    if (key !== maxPodsTagKey) continue;
    const value = known(asNumber(at(tag, "value")));
    return value !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
  }
  return unknownKey ? undefined : defaultMaxPods;
}

const idOrName: RefKeys = (candidate) => [candidate.props.id, candidate.props.name];

/** The launch templates (or configuration) a group's nodes start from; `undefined` when unknown. */
function launchSources(graph: ResourceGraph, group: Declared): Declared[] | undefined {
  const template = group.props.launchTemplate;
  const mixed = at(group.props, "mixedInstancesPolicy", "launchTemplate");
  const references: { property: string; value: Value | undefined; types: string[] }[] = [];
  if (template !== undefined && template !== null) {
    const id = at(template, "id") ?? at(template, "name") ?? template;
    references.push({ property: "launchTemplate", value: id, types: [awsTypes.launchTemplate] });
  }
  if (mixed !== undefined) {
    const specs: (Value | undefined)[] = [at(mixed, "launchTemplateSpecification")];
    const overrides = asArray(at(mixed, "overrides"));
    if (overrides === unknown) specs.push(unknown);
    for (const override of overrides === unknown ? [] : (overrides ?? [])) {
      const spec = at(override, "launchTemplateSpecification");
      if (spec !== undefined) specs.push(spec);
    }
    for (const spec of specs) {
      const id = at(spec, "launchTemplateId") ?? at(spec, "launchTemplateName") ?? spec;
      references.push({
        property: "mixedInstancesPolicy",
        value: id,
        types: [awsTypes.launchTemplate],
      });
    }
  }
  if (references.length === 0 && group.props.launchConfiguration !== undefined) {
    references.push({
      property: "launchConfiguration",
      value: group.props.launchConfiguration,
      types: [awsTypes.launchConfiguration],
    });
  }
  if (references.length === 0) return undefined;
  const sources: Declared[] = [];
  for (const reference of references) {
    const urn = graph.ref(group, reference.property, reference.value, reference.types, idOrName);
    const source = urn === undefined ? undefined : graph.get(urn);
    if (source === undefined) return undefined;
    sources.push(source);
  }
  return sources;
}

/** Security groups a launch template or configuration puts on its instances. */
function securityGroupsOf(graph: ResourceGraph, source: Declared): string[] | undefined {
  const types = [awsTypes.securityGroup];
  const names = asArray(source.props.securityGroupNames);
  if (names === unknown || (names !== undefined && names.length > 0)) return undefined;
  const lists: { property: string; elements: readonly Value[] | typeof unknown }[] = [];
  if (source.type === awsTypes.launchConfiguration) {
    lists.push({ property: "securityGroups", elements: elementsOf(source.props.securityGroups) });
  } else {
    lists.push({
      property: "vpcSecurityGroupIds",
      elements: elementsOf(source.props.vpcSecurityGroupIds),
    });
    const interfaces = asArray(source.props.networkInterfaces);
    if (interfaces === unknown) lists.push({ property: "networkInterfaces", elements: unknown });
    for (const networkInterface of interfaces === unknown ? [] : (interfaces ?? [])) {
      const elements = elementsOf(at(networkInterface, "securityGroups"));
      lists.push({ property: "networkInterfaces", elements });
    }
  }
  const groups = new Set<string>();
  for (const list of lists) {
    const found = graph.refs(source, list.property, list.elements, types);
    if (found === undefined) return undefined;
    for (const group of found) groups.add(group);
  }
  // No group at all means the VPC's default group, whose rules are not declared here.
  return groups.size > 0 ? [...groups] : undefined;
}

/** A group's subnets: exact, or (in a preview of a component's output) the component's subnets as candidates. */
function subnetsOf(
  graph: ResourceGraph,
  group: Declared,
): Pick<NodeGroupFact, "subnets" | "candidateSubnets"> {
  const subnets = group.props.vpcZoneIdentifiers;
  if (subnets === undefined) return { subnets: undefined };
  const found = graph.resolveRefs(group, "vpcZoneIdentifiers", elementsOf(subnets), [
    awsTypes.subnet,
  ]);
  if (found === undefined) return { subnets: undefined };
  if (found.inferredFrom.length === 0) return { subnets: found.urns };
  return {
    subnets: undefined,
    candidateSubnets: {
      subnets: found.urns,
      from: found.inferredFrom.map((urn) => `component ${graph.get(urn)?.name ?? urn}`),
    },
  };
}

export function extractNodeGroups(graph: ResourceGraph, defaultMaxPods: number): NodeGroupFact[] {
  return graph.ofType(awsTypes.autoScalingGroup).map((group) => {
    const sources = launchSources(graph, group);
    const perSource = sources?.map((source) => securityGroupsOf(graph, source));
    const securityGroups =
      perSource === undefined || perSource.some((groups) => groups === undefined)
        ? undefined
        : [...new Set(perSource.flatMap((groups) => groups ?? []))];
    return {
      subject: group.urn,
      label: group.name,
      maxSize: known(asNumber(group.props.maxSize)),
      maxPods: maxPodsOf(group, defaultMaxPods),
      ...subnetsOf(graph, group),
      securityGroups,
    };
  });
}
