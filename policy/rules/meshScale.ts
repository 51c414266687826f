/**
 * The BGP full mesh's ceiling: in Calico's node-to-node mesh every node peers
 * with every other, so sessions and route updates grow with the square of the
 * nodes. Calico's docs recommend the mesh up to about 100 nodes and route
 * reflectors beyond; Calico 3.32's Felix cluster routing (`clusterRoutingMode:
 * Felix`) takes the routes off BGP altogether.
 *
 * Reported only when the known values prove it: a Calico install on BGP with
 * BIRD routing, the mesh on, and node groups whose known `maxSize`s alone exceed
 * the limit. An unknown mode, mesh setting or group size says nothing.
 */
import type { NetworkFacts } from "./facts";
import type { Finding } from "./findings";

/** Calico installs whose full mesh the node groups can grow past `maxMeshNodes`. */
export function checkMeshScale(facts: NetworkFacts, maxMeshNodes: number): Finding[] {
  const routing = facts.calicoRouting;
  if (routing === undefined || routing.meshOff !== false) return [];
  const meshed = routing.installs.filter(
    (install) => install.bgp === true && install.felixRouting === false,
  );
  if (meshed.length === 0) return [];
  const groups = facts.nodeGroups.filter((group) => group.maxSize !== undefined);
  const nodes = groups.reduce((sum, group) => sum + (group.maxSize ?? 0), 0);
  if (nodes <= maxMeshNodes) return [];
  const partial = groups.length < facts.nodeGroups.length ? " at least" : "";
  return meshed.map((install) => ({
    code: "bgp-mesh-too-large",
    severity: "warning",
    message: `Calico install ${install.label} runs BGP's node-to-node full mesh, and node groups ${groups.map((group) => `${group.label} (${group.maxSize})`).join(", ")} can reach${partial} ${nodes} nodes, more than the ${maxMeshNodes} the mesh is meant for: each node would hold ${nodes - 1} BGP sessions`,
    subjects: [install.subject, ...groups.map((group) => group.subject), ...routing.bgpResources],
    fix: `Set calicoNetwork.clusterRoutingMode: Felix with bgp: Disabled (Calico 3.32+), or use route reflectors: BGPPeers with a peerSelector for reflector nodes (each with a routeReflectorClusterID) created first, then the default BGPConfiguration with nodeToNodeMeshEnabled: false.`,
  }));
}
