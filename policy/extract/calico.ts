/**
 * Calico pod pools and the service range, in every form a program may declare
 * them: tigera-operator Helm values (a v3 `Release` or a v4 `Chart`), an operator
 * `Installation`, or raw `IPPool` resources in either API group. No
 * @pulumi/kubernetes import; resources are recognised by type token.
 *
 * Where a field is left out, the value Calico itself would use is assumed, from
 * the tigera-operator's and libcalico-go's defaulting (block size /26 or /122,
 * IPIP for operator IPv4 pools under Calico CNI, `Never` for raw pool modes,
 * `all()`, and the operator's own pool when `ipPools` is absent), because that
 * is what the cluster gets; where a field is unknown, the fact says unknown.
 */
import type { Encapsulation, PodPoolFact, RangeFact } from "../rules/facts";
import type { KubeadmPodSubnet } from "./kubeadm";
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

/**
 * What the stack says about the cluster an Installation runs in, for the
 * operator's provider auto-detection and its default pool.
 */
export interface ClusterContext {
  /** The stack declares an EKS cluster (the operator then detects provider EKS). */
  readonly eks: boolean;
  /** The stack declares self-managed Kubernetes node groups (no managed provider). */
  readonly selfManagedNodes: boolean;
  /** kubeadm's pod subnet from the nodes' user data, for the operator's default pool. */
  readonly podSubnet: KubeadmPodSubnet;
}

export const noClusterContext: ClusterContext = {
  eks: false,
  selfManagedNodes: false,
  podSubnet: { cidr: undefined, source: undefined, unreadable: false, kubeadm: false },
};

/**
 * Whether Calico IPAM hands out pod addresses, as the operator defaults it: the
 * CNI from the provider (EKS: AmazonVPC, AKS: AzureVNET, GKE: GKE, else Calico),
 * the IPAM from the CNI. `undefined` when the provider is left to auto-detection
 * and the stack does not show where the cluster runs.
 */
function calicoIpam(spec: Value | undefined, context: ClusterContext) {
  const declared = asString(at(spec, "kubernetesProvider"));
  if (declared === unknown) return { calico: undefined, provider: undefined };
  const provider =
    declared !== undefined && declared !== ""
      ? declared
      : context.eks
        ? "EKS"
        : context.selfManagedNodes
          ? ""
          : undefined;
  const cniType = asString(at(spec, "cni", "type"));
  if (cniType === unknown) return { calico: undefined, provider };
  const managedCni: Record<string, string> = { EKS: "AmazonVPC", AKS: "AzureVNET", GKE: "GKE" };
  const cni =
    cniType !== undefined && cniType !== ""
      ? cniType
      : provider === undefined
        ? undefined
        : (managedCni[provider] ?? "Calico");
  if (cni === undefined) return { calico: undefined, provider };
  const ipam = asString(at(spec, "cni", "ipam", "type"));
  if (ipam === unknown) return { calico: undefined, provider };
  const calico = cni === "Calico" && (ipam === undefined || ipam === "" || ipam === "Calico");
  return { calico, provider };
}

/** The operator's default pool when `ipPools` is absent: its CIDR and where it comes from. */
function defaultPool(provider: string | undefined, context: ClusterContext) {
  // On EKS with Calico CNI the operator picks a range off the VPC's, with VXLAN.
  if (provider === "EKS")
    return { cidr: "172.16.0.0/16", from: "the operator's EKS default", vxlan: true };
  const { podSubnet } = context;
  if (podSubnet.cidr !== undefined) {
    return {
      cidr: podSubnet.cidr,
      from: `kubeadm podSubnet in ${podSubnet.source} user data`,
      vxlan: false,
    };
  }
  if (podSubnet.unreadable)
    return { cidr: undefined, from: "kubeadm podSubnet, not known yet", vxlan: false };
  return { cidr: "192.168.0.0/16", from: "the operator's default", vxlan: false };
}

/** A chart reference naming tigera-operator: `tigera-operator`, `projectcalico/tigera-operator`, an OCI URL or a packaged `.tgz`. */
export function isTigeraOperatorChart(chart: string): boolean {
  const last = chart.replace(/\/+$/, "").split("/").pop() ?? "";
  return /^tigera-operator(-v?\d[\w.+-]*)?(\.tgz)?$/.test(last);
}

export interface CalicoFacts {
  /** Whether the stack installs Calico in any form (so it declares a cluster). */
  readonly installed: boolean;
  readonly podPools: PodPoolFact[];
  /** Service ranges the Installation declares; `undefined` when none says. */
  readonly serviceRanges: RangeFact[] | undefined;
}

interface Collected {
  readonly podPools: PodPoolFact[];
  readonly serviceRanges: RangeFact[];
  declaresService: boolean;
  /** Calico installs seen: tigera-operator releases, Installations, IPPools. */
  installs: number;
}

/** Pools and service CIDRs of an Installation spec (from the CR or the chart's `installation` values). */
function installationFacts(
  resource: Declared,
  spec: Value | undefined,
  into: Collected,
  context: ClusterContext,
): void {
  const network = at(spec, "calicoNetwork");
  const { calico, provider } = calicoIpam(spec, context);
  // The operator defaults an IPv4 pool's encapsulation to IPIP under Calico CNI
  // (None otherwise, and for IPv6), whatever `bgp` says.
  const defaultEncapsulation = (cidr: string | undefined): Encapsulation | undefined =>
    cidr?.includes(":") ? "None" : calico === false ? "None" : "IPIP";
  const pools = asArray(at(network, "ipPools"));
  // With another CNI or IPAM (the VPC CNI on EKS) Calico's pools hand out no pod addresses.
  if (calico === true && pools === undefined) {
    const pool = defaultPool(provider, context);
    into.podPools.push({
      subject: resource.urn,
      label: `${resource.name} default pool (${pool.cidr ?? "CIDR"} from ${pool.from})`,
      cidr: pool.cidr,
      blockSize: defaultBlockSize(pool.cidr),
      encapsulation: pool.vxlan ? "VXLAN" : defaultEncapsulation(pool.cidr),
      nodeSelector: "all()",
    });
  }
  const listed = calico === false || pools === unknown ? [] : (pools ?? []);
  for (const [index, pool] of listed.entries()) {
    const cidr = known(asString(at(pool, "cidr")));
    const name = known(asString(at(pool, "name")));
    const encapsulation = asString(at(pool, "encapsulation"));
    into.podPools.push({
      subject: resource.urn,
      label: `${resource.name} ipPools[${index}]${name ? ` "${name}"` : ""}`,
      cidr,
      blockSize: blockSizeOf(at(pool, "blockSize"), cidr),
      encapsulation:
        encapsulation === undefined
          ? defaultEncapsulation(cidr)
          : encapsulationNamed(encapsulation),
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

export function extractCalico(
  graph: ResourceGraph,
  context: ClusterContext = noClusterContext,
): CalicoFacts {
  const facts: Collected = { podPools: [], serviceRanges: [], declaresService: false, installs: 0 };
  const installations = graph.ofType(calicoTypes.installation);
  // A v4 Chart registers what it renders as children: its Installation, when
  // present, is the same pool seen again and says it more exactly.
  const rendered = new Set(installations.flatMap((installation) => graph.ancestors(installation)));
  for (const release of graph.ofType(calicoTypes.helmRelease, calicoTypes.helmChart)) {
    if (rendered.has(release.urn)) continue;
    const chart = asString(release.props.chart);
    if (typeof chart !== "string" || !isTigeraOperatorChart(chart)) continue;
    facts.installs++;
    const installation = at(release.props.values, "installation");
    if (installation === unknown || asBoolean(at(installation, "enabled")) === false) continue;
    // Values files are assets the pack cannot read; inline values win where they say something.
    const files = asArray(release.props.valueYamlFiles);
    const hasFiles = files === unknown || (files?.length ?? 0) > 0;
    if (hasFiles && at(installation, "calicoNetwork", "ipPools") === undefined) continue;
    installationFacts(release, installation, facts, context);
  }
  for (const installation of installations) {
    facts.installs++;
    const spec = installation.props.spec;
    if (spec === unknown) continue;
    installationFacts(installation, spec, facts, context);
  }
  for (const pool of graph.ofType(calicoTypes.ipPoolCrd, calicoTypes.ipPool)) {
    facts.installs++;
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
    installed: facts.installs > 0,
    podPools: facts.podPools,
    serviceRanges: facts.declaresService ? facts.serviceRanges : undefined,
  };
}
