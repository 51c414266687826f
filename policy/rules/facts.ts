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
}

export interface RangeFact extends Subject {
  readonly cidr: string | undefined;
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
}

export interface NetworkFacts {
  readonly vpcRanges: readonly VpcRangeFact[];
  readonly subnets: readonly SubnetFact[];
  readonly podPools: readonly PodPoolFact[];
  readonly serviceRanges: readonly RangeFact[];
  readonly reservedRanges: readonly ReservedRangeFact[];
  readonly nodeGroups: readonly NodeGroupFact[];
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
