/**
 * How pod routes reach the other nodes: BGP's node-to-node full mesh for a
 * cluster whose node groups stay within `calico.fullMeshMaxNodes`, Felix beyond
 * it. Pure: no Pulumi imports; the plan, the chart values and the security
 * groups all read the same decision.
 *
 * Why Felix and not route reflectors beyond the mesh (projectcalico/calico
 * v3.32.1 and tigera/operator v1.42): with `calicoNetwork.clusterRoutingMode:
 * Felix` the operator sets FelixConfiguration `programClusterRoutes: Enabled`
 * (and BGPConfiguration's to Disabled), Felix programs the route to every other
 * node's block, through `tunl0` or directly in the same subnet
 * (felix/dataplane/linux/ipip_mgr.go), from the IPAM blocks in the datastore, and
 * the operator accepts IPIP with `bgp: Disabled` only in this mode
 * (pkg/controller/installation/validation.go). Nothing peers, so nothing has N²
 * sessions, no node needs a reflector role and TCP 179 stays closed. Upstream
 * moves IPIP route programming to Felix by default from v3.33 and deprecates
 * BIRD-programmed IPIP routes (design/cluster-route-programming/DESIGN.md).
 */
import { type ClusterConfig, projectName } from "../config/clusterConfig";

export type RoutingMode = "bgp-full-mesh" | "felix";

export interface RoutingPlan {
  /** `bgp-full-mesh`: BIRD on every node, each peering with all others; `felix`: no BGP. */
  readonly mode: RoutingMode;
  /** Whether BGP (BIRD, TCP 179 between nodes) runs at all. */
  readonly bgp: boolean;
  /** Nodes the groups can reach, masters included. */
  readonly maxNodes: number;
  /** `calico.fullMeshMaxNodes`. */
  readonly fullMeshMaxNodes: number;
  /** One sentence: why this mode, with the numbers. */
  readonly reason: string;
}

/**
 * @param maxNodes nodes the groups can reach (masters included)
 */
export function planRouting(config: Pick<ClusterConfig, "calico">, maxNodes: number): RoutingPlan {
  const limit = config.calico.fullMeshMaxNodes;
  const key = `${projectName}:calico.fullMeshMaxNodes`;
  if (maxNodes <= limit) {
    return {
      mode: "bgp-full-mesh",
      bgp: true,
      maxNodes,
      fullMeshMaxNodes: limit,
      reason: `${maxNodes} nodes at most, within ${key} = ${limit}: every node peers with every other over BGP`,
    };
  }
  return {
    mode: "felix",
    bgp: false,
    maxNodes,
    fullMeshMaxNodes: limit,
    reason: `up to ${maxNodes} nodes, more than ${key} = ${limit}: BGP is off and Felix programs every node's routes from the datastore (clusterRoutingMode: Felix)`,
  };
}
