/**
 * EKS clusters (`aws:eks/cluster:Cluster`, also what pulumi-eks's `eks.Cluster`
 * component declares inside itself): their Kubernetes service range and the VPC
 * it must stay out of. EKS takes `kubernetesNetworkConfig.serviceIpv4Cidr`, else
 * picks 10.100.0.0/16 or 172.20.0.0/16 itself (AWS's KubernetesNetworkConfigRequest
 * reference): 172.20.0.0/16 when the VPC's range lies in 10.0.0.0/8, 10.100.0.0/16
 * otherwise, so the default never lands in the VPC's primary range. After an update
 * the output carries the range EKS chose.
 */
import { contains, parseCidr } from "../rules/cidr";
import type { RangeFact, SubnetFact, VpcRangeFact } from "../rules/facts";
import { awsTypes } from "./aws";
import type { Declared, ResourceGraph } from "./resources";
import { asArray, asString, at, known, unknown } from "./values";

export const eksTypes = {
  cluster: "aws:eks/cluster:Cluster",
  nodeGroup: "aws:eks/nodeGroup:NodeGroup",
} as const;

const tenSlashEight = parseCidr("10.0.0.0/8");

/** EKS's own choice of service range for a VPC whose primary range is `vpcCidr`. */
export function eksDefaultServiceCidr(vpcCidr: string): string | undefined {
  const parsed = parseCidr(vpcCidr);
  if (!parsed.ok || !tenSlashEight.ok || parsed.cidr.family !== "ipv4") return undefined;
  return contains(tenSlashEight.cidr, parsed.cidr) ? "172.20.0.0/16" : "10.100.0.0/16";
}

/** The one VPC the cluster's subnets lie in, when they say so (exactly, or as a component's candidates). */
function clusterVpc(
  graph: ResourceGraph,
  cluster: Declared,
  subnetVpcs: ReadonlyMap<string, string | undefined>,
): string | undefined {
  const ids = asArray(at(cluster.props, "vpcConfig", "subnetIds"));
  if (ids === undefined) return undefined;
  const found = graph.resolveRefs(cluster, "vpcConfig", ids === unknown ? unknown : ids, [
    awsTypes.subnet,
  ]);
  if (found === undefined || found.urns.length === 0) return undefined;
  const vpcs = new Set(found.urns.map((urn) => subnetVpcs.get(urn)));
  const [vpc] = vpcs;
  return vpcs.size === 1 ? vpc : undefined;
}

export function extractEksServiceRanges(
  graph: ResourceGraph,
  subnets: readonly SubnetFact[],
  vpcRanges: readonly VpcRangeFact[],
): RangeFact[] {
  const subnetVpcs = new Map(subnets.map((subnet) => [subnet.subject, subnet.vpc]));
  const primary = new Map<string, string | undefined>();
  for (const range of vpcRanges)
    if (range.subject === range.vpc) primary.set(range.vpc, range.cidr);
  const facts: RangeFact[] = [];
  for (const cluster of graph.ofType(eksTypes.cluster)) {
    const network = at(cluster.props, "kubernetesNetworkConfig");
    if (asString(at(network, "ipFamily")) === "ipv6") continue;
    const vpc = clusterVpc(graph, cluster, subnetVpcs);
    const configured = asString(at(network, "serviceIpv4Cidr"));
    if (typeof configured === "string" && configured !== "") {
      facts.push({
        subject: cluster.urn,
        label: `${cluster.name} kubernetesNetworkConfig.serviceIpv4Cidr`,
        cidr: configured,
        scope: { vpc },
      });
      continue;
    }
    const vpcCidr = vpc === undefined ? undefined : primary.get(vpc);
    const chosen = vpcCidr === undefined ? undefined : eksDefaultServiceCidr(vpcCidr);
    facts.push({
      subject: cluster.urn,
      label:
        chosen === undefined
          ? `${cluster.name} (EKS default service range)`
          : `${cluster.name} (EKS default service range, inferred from VPC range ${vpcCidr})`,
      cidr: known(chosen),
      scope: { vpc },
    });
  }
  return facts;
}
