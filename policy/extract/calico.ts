/**
 * Calico pod pools and the service range, in every form a program may declare
 * them: tigera-operator Helm values (a v3 `Release` or a v4 `Chart`), an operator
 * `Installation`, or raw `IPPool` resources in either API group. No
 * @pulumi/kubernetes import; resources are recognised by type token.
 *
 * Where a field is left out, the value Calico itself would use is assumed (block
 * size /26, the operator's IPIP or VXLAN default, `all()`), because that is what
 * the cluster gets; where a field is unknown, the fact says unknown.
 */
import type { Encapsulation, PodPoolFact, RangeFact } from "../rules/facts";
import type { Declared, ResourceGraph } from "./resources";
import { type Value, asArray, asBoolean, asNumber, asString, at, known, unknown } from "./values";

export const calicoTypes = {
  helmRelease: "kubernetes:helm.sh/v3:Release",
  helmChart: "kubernetes:helm.sh/v4:Chart",
  installation: "kubernetes:operator.tigera.io/v1:Installation",
  ipPoolCrd: "kubernetes:crd.projectcalico.org/v1:IPPool",
  ipPool: "kubernetes:projectcalico.org/v3:IPPool",
} as const;

const encapsulations: readonly Encapsulation[] = [
  "IPIP",
  "IPIPCrossSubnet",
  "VXLAN",
  "VXLANCrossSubnet",
  "None",
];

/** Calico's default block sizes; the family shows in the CIDR. */
function defaultBlockSize(cidr: string | undefined): number {
  return cidr?.includes(":") ? 122 : 26;
}

/** A chart reference naming tigera-operator: `tigera-operator`, `projectcalico/tigera-operator`, an OCI URL or a packaged `.tgz`. */
export function isTigeraOperatorChart(chart: string): boolean {
  const last = chart.replace(/\/+$/, "").split("/").pop() ?? "";
  return /^tigera-operator(-v?\d[\w.+-]*)?(\.tgz)?$/.test(last);
}

export interface CalicoFacts {
  readonly podPools: PodPoolFact[];
  /** Service ranges the Installation declares; `undefined` when none says. */
  readonly serviceRanges: RangeFact[] | undefined;
}

interface Collected {
  readonly podPools: PodPoolFact[];
  readonly serviceRanges: RangeFact[];
  declaresService: boolean;
}

/** Pools and service CIDRs of an Installation spec (from the CR or the chart's `installation` values). */
function installationFacts(resource: Declared, spec: Value | undefined, into: Collected): void {
  const network = at(spec, "calicoNetwork");
  const bgp = asString(at(network, "bgp"));
  const defaultEncapsulation: Encapsulation | undefined =
    bgp === unknown ? undefined : bgp === "Disabled" ? "VXLAN" : "IPIP";
  const pools = asArray(at(network, "ipPools"));
  if (pools === undefined) {
    // The operator makes one pool whose CIDR it finds in the cluster (kubeadm's pod
    // subnet, else 192.168.0.0/16): its range is unknown here, its other settings are not.
    into.podPools.push({
      subject: resource.urn,
      label: `${resource.name} default pool`,
      cidr: undefined,
      blockSize: defaultBlockSize(undefined),
      encapsulation: defaultEncapsulation,
      nodeSelector: "all()",
    });
  }
  for (const [index, pool] of (pools === unknown ? [] : (pools ?? [])).entries()) {
    const cidr = known(asString(at(pool, "cidr")));
    const name = known(asString(at(pool, "name")));
    const encapsulation = asString(at(pool, "encapsulation"));
    into.podPools.push({
      subject: resource.urn,
      label: `${resource.name} ipPools[${index}]${name ? ` "${name}"` : ""}`,
      cidr,
      blockSize: blockSizeOf(at(pool, "blockSize"), cidr),
      encapsulation:
        encapsulation === undefined ? defaultEncapsulation : encapsulationNamed(encapsulation),
      nodeSelector: selectorOf(at(pool, "nodeSelector")),
      disabled: asBoolean(at(pool, "disableNewAllocations")) === true,
    });
  }
  const services = asArray(at(spec, "serviceCIDRs"));
  if (services === undefined) return;
  into.declaresService = true;
  const list: readonly Value[] = services === unknown ? [unknown] : services;
  for (const [index, cidr] of list.entries()) {
    into.serviceRanges.push({
      subject: resource.urn,
      label: `${resource.name} serviceCIDRs[${index}]`,
      cidr: known(asString(cidr)),
    });
  }
}

function encapsulationNamed(value: string | typeof unknown): Encapsulation | undefined {
  return encapsulations.find((name) => name === value);
}

function blockSizeOf(value: Value | undefined, cidr: string | undefined): number | undefined {
  if (value === undefined) return defaultBlockSize(cidr);
  return known(asNumber(value));
}

function selectorOf(value: Value | undefined): string | undefined {
  if (value === undefined) return "all()";
  return known(asString(value));
}

/** `ipipMode`/`vxlanMode` (and the v1 CRD's older `ipip` block) as one encapsulation. */
function poolEncapsulation(spec: Value | undefined): Encapsulation | undefined {
  const ipip = asString(at(spec, "ipipMode")) ?? "Never";
  const vxlan = asString(at(spec, "vxlanMode")) ?? "Never";
  if (ipip === unknown || vxlan === unknown) return undefined;
  const modes: Record<string, "" | "CrossSubnet" | undefined> = {
    Always: "",
    CrossSubnet: "CrossSubnet",
    Never: undefined,
  };
  if (!(ipip in modes) || !(vxlan in modes)) return undefined;
  if (modes[ipip] !== undefined) return ipip === "Always" ? "IPIP" : "IPIPCrossSubnet";
  if (modes[vxlan] !== undefined) return vxlan === "Always" ? "VXLAN" : "VXLANCrossSubnet";
  const legacy = at(spec, "ipip");
  const enabled = asBoolean(at(legacy, "enabled"));
  if (enabled === unknown) return undefined;
  if (enabled === true)
    return asString(at(legacy, "mode")) === "cross-subnet" ? "IPIPCrossSubnet" : "IPIP";
  return "None";
}

export function extractCalico(graph: ResourceGraph): CalicoFacts {
  const facts: Collected = { podPools: [], serviceRanges: [], declaresService: false };
  const installations = graph.ofType(calicoTypes.installation);
  // A v4 Chart registers what it renders as children: its Installation, when
  // present, is the same pool seen again and says it more exactly.
  const rendered = new Set(installations.flatMap((installation) => graph.ancestors(installation)));
  for (const release of graph.ofType(calicoTypes.helmRelease, calicoTypes.helmChart)) {
    if (rendered.has(release.urn)) continue;
    const chart = asString(release.props.chart);
    if (typeof chart !== "string" || !isTigeraOperatorChart(chart)) continue;
    const installation = at(release.props.values, "installation");
    if (installation === unknown || asBoolean(at(installation, "enabled")) === false) continue;
    // Values files are assets the pack cannot read; inline values win where they say something.
    const files = asArray(release.props.valueYamlFiles);
    const hasFiles = files === unknown || (files?.length ?? 0) > 0;
    if (hasFiles && at(installation, "calicoNetwork", "ipPools") === undefined) continue;
    installationFacts(release, installation, facts);
  }
  for (const installation of installations) {
    const spec = installation.props.spec;
    if (spec === unknown) continue;
    installationFacts(installation, spec, facts);
  }
  for (const pool of graph.ofType(calicoTypes.ipPoolCrd, calicoTypes.ipPool)) {
    const spec = pool.props.spec;
    const cidr = known(asString(at(spec, "cidr")));
    facts.podPools.push({
      subject: pool.urn,
      label: pool.name,
      cidr,
      blockSize: blockSizeOf(at(spec, "blockSize"), cidr),
      encapsulation: poolEncapsulation(spec),
      nodeSelector: selectorOf(at(spec, "nodeSelector")),
      disabled: asBoolean(at(spec, "disabled")) === true,
    });
  }
  return {
    podPools: facts.podPools,
    serviceRanges: facts.declaresService ? facts.serviceRanges : undefined,
  };
}
