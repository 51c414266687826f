/**
 * Network facts from a stack's resources plus the pack's settings: the one input
 * every policy of the pack gives to the shared rules in policy/rules.
 */
import type { NetworkFacts, NodeGroupFact, RangeFact, ReservedRangeFact } from "../rules/facts";
import { defaultMaxPods } from "../rules/sizing";
import {
  awsTypes,
  extractNodeGroups,
  extractSubnets,
  extractVpcRanges,
  isKubernetesNodeGroup,
} from "./aws";
import { extractCalico } from "./calico";
import { extractCalicoRouting } from "./calicoRouting";
import { eksTypes, extractEksServiceRanges } from "./eks";
import { kubeadmPodSubnet } from "./kubeadm";
import { ResourceGraph, type StackResource } from "./resources";
import { extractSecurityGroups } from "./securityGroups";

export type { StackResource } from "./resources";

/** What the pack's config contributes to the facts. */
export interface PackSettings {
  /**
   * Kubernetes service range of a self-managed cluster, used when no Installation
   * declares `serviceCIDRs`; default 10.96.0.0/12 (kubeadm's).
   */
  readonly serviceCidr: string;
  /** Ranges routed elsewhere (peered VPCs, on-premises, VPN); default none. */
  readonly reservedRanges: readonly { readonly name: string; readonly cidr: string }[];
  /** kubelet maxPods for node groups without the node-template pods tag; default 110. */
  readonly defaultMaxPods: number;
}

export const defaultSettings: PackSettings = {
  serviceCidr: "10.96.0.0/12",
  reservedRanges: [],
  defaultMaxPods,
};

/** Subjects of facts that come from the pack config: the policy and key that set them. */
export const configSubjects = {
  serviceCidr: "no-cidr-overlap.serviceCidr",
  reservedRange: (index: number) => `no-cidr-overlap.reservedRanges[${index}]`,
  defaultMaxPods: "pod-block-fits-node.defaultMaxPods",
};

/**
 * Facts of the stack's resources. The Kubernetes service range is a fact only
 * where the stack declares a cluster: an EKS cluster's own range, else (Calico
 * installed in any form, or node groups tagged as Kubernetes nodes) the one an
 * Installation declares or the configured `serviceCidr`. A stack without either
 * has no service range to collide with.
 */
export function extractFacts(
  resources: readonly StackResource[],
  settings: PackSettings = defaultSettings,
): NetworkFacts {
  return factsOf(new ResourceGraph(resources), settings);
}

/** `extractFacts` over a graph already built. */
export function factsOf(graph: ResourceGraph, settings: PackSettings): NetworkFacts {
  const vpcRanges = extractVpcRanges(graph);
  const subnets = extractSubnets(graph);
  const eksRanges = extractEksServiceRanges(graph, subnets, vpcRanges);
  const eks = graph.ofType(eksTypes.cluster, eksTypes.nodeGroup).length > 0;
  const selfManagedNodes =
    !eks && graph.ofType(awsTypes.autoScalingGroup).some((group) => isKubernetesNodeGroup(group));
  const calico = extractCalico(graph, {
    eks,
    selfManagedNodes,
    podSubnet: kubeadmPodSubnet(graph),
  });
  const serviceRanges: RangeFact[] = [...(calico.serviceRanges ?? []), ...eksRanges];
  if (calico.serviceRanges === undefined && !eks && (calico.installed || selfManagedNodes)) {
    serviceRanges.push({
      subject: configSubjects.serviceCidr,
      label: `from policy config ${configSubjects.serviceCidr}`,
      cidr: settings.serviceCidr,
    });
  }
  const reservedRanges: ReservedRangeFact[] = settings.reservedRanges.map((range, index) => ({
    subject: configSubjects.reservedRange(index),
    label: `"${range.name}" from policy config ${configSubjects.reservedRange(index)}`,
    name: range.name,
    cidr: range.cidr,
  }));
  const nodeGroups: NodeGroupFact[] = extractNodeGroups(graph, settings.defaultMaxPods);
  if (nodeGroups.length === 0 && calico.podPools.length > 0) {
    // The nodes live in another stack: their blocks must still hold the default maxPods.
    nodeGroups.push({
      subject: configSubjects.defaultMaxPods,
      label: `"nodes outside this stack" (maxPods from policy config ${configSubjects.defaultMaxPods})`,
      maxSize: undefined,
      maxPods: settings.defaultMaxPods,
      subnets: undefined,
    });
  }
  return {
    vpcRanges,
    subnets,
    podPools: calico.podPools,
    serviceRanges,
    reservedRanges,
    nodeGroups,
    securityGroups: extractSecurityGroups(graph),
    calicoRouting: extractCalicoRouting(graph),
  };
}
