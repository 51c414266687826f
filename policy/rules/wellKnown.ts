/**
 * Numbers and names the program, the nodes and the pack must agree on. Here, in
 * the pack's own tree, because `pulumi policy publish` ships only `policy/`; the
 * program imports them from here. A leaf: it imports nothing.
 */

/** The cluster-autoscaler node-template tag a worker group's kubelet maxPods is published in. */
export const maxPodsTagKey = "k8s.io/cluster-autoscaler/node-template/resources/pods";

/** IP protocol number of IP-in-IP (Calico IPIP), as security group rules write it. */
export const ipipProtocolNumber = "4";

/** BGP (Calico's BIRD peers every node with every other, or with route reflectors). */
export const bgpPort = 179;

/** Felix to Typha. */
export const typhaPort = 5473;

/**
 * Nodes up to which Calico's docs recommend BGP's node-to-node full mesh (every
 * node peers with every other); beyond it, route reflectors or no BGP at all.
 */
export const defaultFullMeshMaxNodes = 100;
