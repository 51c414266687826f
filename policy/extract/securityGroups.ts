/**
 * Security groups and every ingress rule that names them: inline `ingress`,
 * `aws:vpc` ingress rules and `aws:ec2` security group rules. Only what the
 * node-access rule needs: protocol, ports and sources.
 */
import type { IngressRuleFact, SecurityGroupFact } from "../rules/facts";
import { awsTypes } from "./aws";
import type { Declared, ResourceGraph } from "./resources";
import { type Value, asArray, asBoolean, asNumber, asString, at, known, unknown } from "./values";

interface RuleSources {
  readonly sourceSecurityGroups: (string | undefined)[];
  readonly sourceCidrs: (string | undefined)[];
  otherSources: boolean;
}

function cidrsOf(value: Value | undefined): (string | undefined)[] {
  const list = asArray(value);
  if (list === unknown) return [undefined];
  return (list ?? []).map((item) => known(asString(item)));
}

function ingressRule(
  rule: { readonly urn: string; readonly name: string },
  props: Value | undefined,
  protocolKey: string,
  sources: RuleSources,
): IngressRuleFact {
  const protocol = at(props, protocolKey);
  return {
    subject: rule.urn,
    label: rule.name,
    protocol: typeof protocol === "number" ? String(protocol) : known(asString(protocol)),
    fromPort: known(asNumber(at(props, "fromPort"))),
    toPort: known(asNumber(at(props, "toPort"))),
    ...sources,
  };
}

/** Security groups with every ingress rule that names them: inline, or separate rule resources. */
export function extractSecurityGroups(graph: ResourceGraph): SecurityGroupFact[] {
  const sgTypes = [awsTypes.securityGroup];
  const ingress = new Map<string, IngressRuleFact[] | undefined>();
  for (const group of graph.ofType(awsTypes.securityGroup)) {
    const inline = asArray(group.props.ingress);
    if (inline === unknown) {
      ingress.set(group.urn, undefined);
      continue;
    }
    const rules = (inline ?? []).map((rule, index) => {
      const refs = asArray(at(rule, "securityGroups"));
      const sourceSecurityGroups =
        refs === unknown ? [undefined] : graph.refEach(group, "ingress", refs ?? [], sgTypes);
      const self = asBoolean(at(rule, "self"));
      if (self === unknown) sourceSecurityGroups.push(undefined);
      else if (self === true) sourceSecurityGroups.push(group.urn);
      const prefixLists = asArray(at(rule, "prefixListIds"));
      return ingressRule(
        { urn: group.urn, name: `${group.name} ingress[${index}]` },
        rule,
        "protocol",
        {
          sourceSecurityGroups,
          sourceCidrs: cidrsOf(at(rule, "cidrBlocks")),
          otherSources: prefixLists === unknown || (prefixLists?.length ?? 0) > 0,
        },
      );
    });
    ingress.set(group.urn, rules);
  }

  let unattached = false;
  const attach = (rule: Declared, fact: IngressRuleFact) => {
    const target = graph.ref(rule, "securityGroupId", rule.props.securityGroupId, sgTypes);
    if (target === undefined) unattached = true;
    else if (ingress.has(target)) ingress.get(target)?.push(fact);
  };
  for (const rule of graph.ofType(awsTypes.ingressRule)) {
    const props = rule.props;
    const referenced = props.referencedSecurityGroupId;
    const cidr = props.cidrIpv4;
    attach(
      rule,
      ingressRule(rule, props, "ipProtocol", {
        sourceSecurityGroups:
          referenced === undefined
            ? []
            : [graph.ref(rule, "referencedSecurityGroupId", referenced, sgTypes)],
        sourceCidrs: cidr === undefined ? [] : [known(asString(cidr))],
        otherSources: props.prefixListId !== undefined,
      }),
    );
  }
  for (const rule of graph.ofType(awsTypes.securityGroupRule)) {
    const props = rule.props;
    const type = asString(props.type);
    if (type === "egress") continue;
    const sourceSecurityGroups: (string | undefined)[] = [];
    if (props.sourceSecurityGroupId !== undefined) {
      sourceSecurityGroups.push(
        graph.ref(rule, "sourceSecurityGroupId", props.sourceSecurityGroupId, sgTypes),
      );
    }
    const self = asBoolean(props.self);
    const target = graph.ref(rule, "securityGroupId", props.securityGroupId, sgTypes);
    if (self === unknown) sourceSecurityGroups.push(undefined);
    else if (self === true) sourceSecurityGroups.push(target);
    const prefixLists = asArray(props.prefixListIds);
    const fact = ingressRule(rule, props, "protocol", {
      sourceSecurityGroups,
      sourceCidrs: cidrsOf(props.cidrBlocks),
      otherSources: prefixLists === unknown || (prefixLists?.length ?? 0) > 0,
    });
    // A rule whose direction is unknown may be ingress: count it as one that cannot be read.
    attach(rule, type === "ingress" ? fact : { ...fact, protocol: undefined });
  }

  return graph.ofType(awsTypes.securityGroup).map((group) => ({
    subject: group.urn,
    label: group.name,
    // A rule that may belong to any group leaves every group's rule set open.
    ingress: unattached ? undefined : ingress.get(group.urn),
  }));
}
