/**
 * Calico's routing, in every form the pack reads Calico: tigera-operator Helm
 * values (v3 Release, v4 Chart), the operator's `Installation`, raw `IPPool`s
 * (a manifest install), and `BGPConfiguration` / `BGPPeer` in both API groups.
 *
 * Defaults where a field is left out, as Calico applies them: the operator runs
 * BGP (`calicoNetwork.bgp: Enabled`) and BIRD programs the routes
 * (`clusterRoutingMode: BIRD`); a manifest install with IPIP or unencapsulated
 * pools runs BIRD, one with only VXLAN pools does not; the full mesh is on unless
 * the BGPConfiguration named `default` says `nodeToNodeMeshEnabled: false`.
 */
import type { CalicoRoutingFact, CalicoRoutingFacts } from "../rules/facts";
import { calicoTypes, extractCalico, isTigeraOperatorChart } from "./calico";
import type { Declared, ResourceGraph } from "./resources";
import { type Value, asArray, asBoolean, asString, at, unknown } from "./values";

export const calicoBgpTypes = {
  bgpConfigurationCrd: "kubernetes:crd.projectcalico.org/v1:BGPConfiguration",
  bgpConfiguration: "kubernetes:projectcalico.org/v3:BGPConfiguration",
  bgpPeerCrd: "kubernetes:crd.projectcalico.org/v1:BGPPeer",
  bgpPeer: "kubernetes:projectcalico.org/v3:BGPPeer",
} as const;

function installRouting(
  resource: Declared,
  spec: Value | undefined,
  label: string,
  hidden: boolean,
): CalicoRoutingFact {
  const network = at(spec, "calicoNetwork");
  const bgp = asString(at(network, "bgp"));
  const mode = asString(at(network, "clusterRoutingMode"));
  // Values files the pack cannot read may set what the inline values leave out.
  const unseen = (value: unknown) => value === undefined && hidden;
  return {
    subject: resource.urn,
    label,
    bgp: bgp === unknown || unseen(bgp) ? undefined : bgp !== "Disabled",
    felixRouting: mode === unknown || unseen(mode) ? undefined : mode === "Felix",
  };
}

function installs(graph: ResourceGraph): CalicoRoutingFact[] {
  const facts: CalicoRoutingFact[] = [];
  const installations = graph.ofType(calicoTypes.installation);
  const rendered = new Set(installations.flatMap((installation) => graph.ancestors(installation)));
  for (const release of graph.ofType(calicoTypes.helmRelease, calicoTypes.helmChart)) {
    if (rendered.has(release.urn)) continue;
    const chart = asString(release.props.chart);
    if (typeof chart !== "string" || !isTigeraOperatorChart(chart)) continue;
    const installation = at(release.props.values, "installation");
    if (asBoolean(at(installation, "enabled")) === false) continue;
    const files = asArray(release.props.valueYamlFiles);
    const hidden = files === unknown || (files?.length ?? 0) > 0;
    facts.push(installRouting(release, installation, `${release.name} values`, hidden));
  }
  for (const installation of installations) {
    facts.push(installRouting(installation, installation.props.spec, installation.name, false));
  }
  if (facts.length > 0) return facts;
  // A manifest install: calico-node runs BIRD unless every pool is VXLAN.
  const pools = graph.ofType(calicoTypes.ipPoolCrd, calicoTypes.ipPool);
  if (pools.length === 0) return facts;
  const encapsulations = extractCalico(graph).podPools.map((pool) => pool.encapsulation);
  const bird = encapsulations.some(
    (encapsulation) => encapsulation !== undefined && !encapsulation.startsWith("VXLAN"),
  );
  const vxlanOnly = encapsulations.every((encapsulation) => encapsulation?.startsWith("VXLAN"));
  facts.push({
    subject: pools[0].urn,
    label: `${pools[0].name} (IPPool resources)`,
    bgp: bird ? true : vxlanOnly ? false : undefined,
    felixRouting: false,
  });
  return facts;
}

function meshOff(graph: ResourceGraph): Pick<CalicoRoutingFacts, "meshOff" | "bgpResources"> {
  const configurations = graph.ofType(
    calicoBgpTypes.bgpConfigurationCrd,
    calicoBgpTypes.bgpConfiguration,
  );
  const peers = graph.ofType(calicoBgpTypes.bgpPeerCrd, calicoBgpTypes.bgpPeer);
  const bgpResources = [...configurations, ...peers].map((resource) => resource.urn);
  let off: boolean | undefined = false;
  for (const configuration of configurations) {
    // Only `default` holds the cluster-wide setting; without a name Pulumi auto-names it.
    const name = asString(at(configuration.props, "metadata", "name"));
    if (name === undefined || (name !== unknown && name !== "default")) continue;
    const mesh = asBoolean(at(configuration.props.spec, "nodeToNodeMeshEnabled"));
    if (mesh === unknown || name === unknown) off = undefined;
    else if (mesh === false && off === false) off = true;
  }
  // Without peers a node with the mesh off has no routes at all: not a way past it.
  return { meshOff: off === true && peers.length === 0 ? false : off, bgpResources };
}

export function extractCalicoRouting(graph: ResourceGraph): CalicoRoutingFacts {
  return { installs: installs(graph), ...meshOff(graph) };
}
