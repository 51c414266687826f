/**
 * Network facts: the common language between the planner (which derives them
 * from a stack config) and the policy pack (which extracts them from declared
 * resources). Every value may be unknown (`undefined`), as resource outputs are
 * during a preview; rules skip what they cannot see and still report what the
 * known values show.
 *
 * A `subject` says where a fact came from: a config key path such as
 * `calico-cluster:podCidr`, or a resource URN. `label` is the short name shown
 * to people (a key or a resource name).
 */

export interface Subject {
  readonly subject: string;
  readonly label: string;
}

/** One CIDR of a VPC: its primary block or a secondary association. */
export interface VpcRangeFact extends Subject {
  /** Subject of the VPC this range belongs to (itself for a primary block). */
  readonly vpc: string;
  readonly cidr: string | undefined;
}

export interface SubnetFact extends Subject {
  readonly cidr: string | undefined;
  /** Subject of the owning VPC, when it can be related. */
  readonly vpc: string | undefined;
  readonly availabilityZone?: string | undefined;
}

/** Calico's encapsulation modes, in the operator's spelling. */
export type Encapsulation = "IPIP" | "IPIPCrossSubnet" | "VXLAN" | "VXLANCrossSubnet" | "None";

export interface PodPoolFact extends Subject {
  readonly cidr: string | undefined;
  /** Prefix length of the per-node blocks Calico IPAM hands out. */
  readonly blockSize: number | undefined;
  readonly encapsulation: Encapsulation | undefined;
  /** Calico node selector; `all()` (or unset) means every node draws from this pool. */
  readonly nodeSelector: string | undefined;
  /** A disabled pool hands out no addresses (Calico `disabled: true`); default false. */
  readonly disabled?: boolean;
}

export interface RangeFact extends Subject {
  readonly cidr: string | undefined;
  /**
   * For a service range that belongs to one cluster (an EKS cluster's): the
   * subject of that cluster's VPC (`vpc` undefined when it cannot be related).
   * Such a range is compared with its own VPC's ranges and subnets, pod pools and
   * reserved ranges, never with other VPCs. Default: unscoped, compared with all.
   */
  readonly scope?: { readonly vpc: string | undefined };
}

export interface ReservedRangeFact extends RangeFact {
  /** What the organisation uses the range for (peered VPC, on-premises, VPN). */
  readonly name: string;
}

export interface NodeGroupFact extends Subject {
  /** The most nodes the group can scale to. */
  readonly maxSize: number | undefined;
  /** kubelet maxPods on the group's nodes. */
  readonly maxPods: number | undefined;
  /** Subjects of the subnets the group launches into; `undefined` when unknown. */
  readonly subnets: readonly string[] | undefined;
  /**
   * When `subnets` is unknown but the value came from component resources (an
   * awsx VPC's subnet ids in a preview): the components' subnets, some of which
   * the group uses, and the components' labels. Default none.
   */
  readonly candidateSubnets?: {
    readonly subnets: readonly string[];
    readonly from: readonly string[];
  };
  /**
   * Subjects of the security groups on the group's nodes; `undefined` (the
   * default) when unknown, e.g. a launch template from another stack.
   */
  readonly securityGroups?: readonly string[] | undefined;
}

/**
 * One ingress rule as the node-access rules see it. Sources are listed by kind;
 * an `undefined` entry is a source whose value is unknown (it may allow anything).
 */
export interface IngressRuleFact extends Subject {
  /** `-1` (all), `tcp`, `udp`, `icmp` or a protocol number, as AWS spells it; undefined when unknown. */
  readonly protocol: string | undefined;
  readonly fromPort: number | undefined;
  readonly toPort: number | undefined;
  /** Subjects of source security groups (a self rule names its own group). */
  readonly sourceSecurityGroups: readonly (string | undefined)[];
  readonly sourceCidrs: readonly (string | undefined)[];
  /** True when the rule also has sources the rules cannot evaluate (prefix lists). */
  readonly otherSources: boolean;
}

export interface SecurityGroupFact extends Subject {
  /** Every ingress rule of the group, inline or separate; `undefined` when not all are known. */
  readonly ingress: readonly IngressRuleFact[] | undefined;
}

export interface NetworkFacts {
  readonly vpcRanges: readonly VpcRangeFact[];
  readonly subnets: readonly SubnetFact[];
  readonly podPools: readonly PodPoolFact[];
  readonly serviceRanges: readonly RangeFact[];
  readonly reservedRanges: readonly ReservedRangeFact[];
  readonly nodeGroups: readonly NodeGroupFact[];
  /** Security groups with their ingress rules; default none (node access is not checked). */
  readonly securityGroups?: readonly SecurityGroupFact[];
  /** Calico's routing; default unknown (BGP may run, the mesh may be on). */
  readonly calicoRouting?: CalicoRoutingFacts;
}

export function emptyFacts(): NetworkFacts {
  return {
    vpcRanges: [],
    subnets: [],
    podPools: [],
    serviceRanges: [],
    reservedRanges: [],
    nodeGroups: [],
  };
}

/** How one Calico install routes pod traffic between nodes. */
export interface CalicoRoutingFact extends Subject {
  /** BIRD runs (the Installation's `calicoNetwork.bgp` is not `Disabled`); undefined when unknown. */
  readonly bgp: boolean | undefined;
  /** Felix programs the routes (`clusterRoutingMode: Felix`); undefined when unknown. */
  readonly felixRouting: boolean | undefined;
}

/** Calico's routing as declared: per install, and whether BGP's full mesh is off. */
export interface CalicoRoutingFacts {
  readonly installs: readonly CalicoRoutingFact[];
  /**
   * true: a `default` BGPConfiguration sets `nodeToNodeMeshEnabled: false` and
   * BGPPeers exist (route reflectors or external peers); false: the mesh is on;
   * undefined: the known values cannot tell.
   */
  readonly meshOff: boolean | undefined;
  /** Subjects of the BGPConfigurations and BGPPeers read. */
  readonly bgpResources: readonly string[];
}
