/**
 * Calico as data: which charts install it and the tigera-operator's Helm values,
 * built from the address plan and the stack config. Pure: no Pulumi imports, so
 * the tests and the policy pack see exactly the values the program declares.
 *
 * Checked against projectcalico/calico v3.32.1 (charts/tigera-operator,
 * charts/crd.projectcalico.org.v1) and tigera/operator v1.42.3 (api/v1, the
 * operator that chart ships):
 * - Since v3.32 the operator chart carries no CRDs; the `crd.projectcalico.org.v1`
 *   chart (same repository, same version) must be installed first.
 * - The chart renders `installation` (without `enabled`) as the `Installation`
 *   spec and, when `defaultFelixConfiguration.enabled`, the rest of that key as the
 *   spec of the `default` FelixConfiguration.
 * - `kubernetesProvider: ""` asks the operator to auto-detect the platform; a
 *   kubeadm cluster matches none of the managed ones it knows.
 * - The chart enables `apiServer`, `goldmane` and `whisker` unless told otherwise:
 *   each is set here from config, off by default.
 * - `nodeAddressAutodetectionV4: {kubernetes: NodeInternalIP}` takes the address
 *   the kubelet registered, whatever the order of the node's interfaces (the
 *   default, `firstFound`, depends on it).
 */
import type { Encapsulation } from "../policy/rules/facts";
import type { Finding, FindingCode, Problem } from "../policy/rules/findings";
import type { AddressPlan } from "./plan/addressPlan";
import type { RoutingPlan } from "./plan/routing";
import { type ClusterConfig, projectName } from "./config/clusterConfig";

/** The Helm repository that serves both Calico charts. */
export const calicoChartRepository = "https://docs.tigera.io/calico/charts";
/** Namespace of both releases (the operator runs here). */
export const calicoNamespace = "tigera-operator";
/** The CRD chart, installed before the operator (v3.32 and later). */
export const calicoCrdChart = "crd.projectcalico.org.v1";
export const tigeraOperatorChart = "tigera-operator";
/** Helm release names, as in Calico's install instructions. */
export const calicoCrdReleaseName = "calico-crds";
export const tigeraOperatorReleaseName = "calico";
/** The first version whose CRDs come from their own chart. */
export const minimumCalicoVersion = { major: 3, minor: 32 } as const;
/** Bytes the IPIP header adds to every encapsulated packet. */
export const ipipOverheadBytes = 20;

export type IpPoolValues = {
  readonly cidr: string;
  readonly blockSize: number;
  readonly encapsulation: Encapsulation;
  readonly natOutgoing: "Enabled" | "Disabled";
  readonly nodeSelector: string;
};

/** The values this program sets on the tigera-operator chart; the rest keep the chart's defaults. */
export type TigeraOperatorValues = {
  readonly installation: {
    readonly kubernetesProvider: "";
    readonly cni: { readonly type: "Calico"; readonly ipam: { readonly type: "Calico" } };
    readonly calicoNetwork: {
      /**
       * BIRD and its node-to-node mesh, which carry the IPIP routes unless Felix
       * programs them; `Disabled` only together with `clusterRoutingMode: Felix`.
       */
      readonly bgp: "Enabled" | "Disabled";
      /** Present only past the full mesh: Felix programs every node's routes. */
      readonly clusterRoutingMode?: "Felix";
      readonly mtu: number;
      readonly ipPools: readonly IpPoolValues[];
      readonly nodeAddressAutodetectionV4: { readonly kubernetes: "NodeInternalIP" };
    };
    readonly serviceCIDRs: readonly string[];
  };
  /** The Calico API server (projectcalico.org/v3 through the Kubernetes API). */
  readonly apiServer: { readonly enabled: boolean };
  /** Goldmane, the flow-log aggregator. */
  readonly goldmane: { readonly enabled: boolean };
  /** Whisker, the flow-log UI. */
  readonly whisker: { readonly enabled: boolean };
  readonly defaultFelixConfiguration: {
    readonly enabled: true;
    /** CrossSubnet sends same-subnet pod traffic unencapsulated, which EC2 drops unless the check is off. */
    readonly awsSrcDstCheck: "Disable";
  };
};

export type CalicoProblemCode = FindingCode | "calico-version-unsupported" | "pod-mtu-too-large";

/** Why the Calico install cannot be declared; like a planner finding, always an error. */
export type CalicoProblem = Problem<CalicoProblemCode>;

export type CalicoPlan = Pick<AddressPlan, "stack" | "podPool" | "findings"> & {
  readonly routing: Pick<RoutingPlan, "bgp">;
};
export type CalicoConfig = Pick<ClusterConfig, "serviceCidr" | "calico">;

const podPoolKeys = new Set([`${projectName}:podCidr`, `${projectName}:podBlockSize`]);

/** Planner errors about the pod pool: a pool declared with one of these breaks the cluster. */
export function podPoolErrors(plan: Pick<AddressPlan, "findings">): Finding[] {
  return plan.findings.filter(
    (finding) =>
      finding.severity === "error" && finding.subjects.some((subject) => podPoolKeys.has(subject)),
  );
}

function versionProblem(version: string): CalicoProblem | undefined {
  const match = /^v(\d+)\.(\d+)\.(\d+)$/.exec(version);
  const { major, minor } = minimumCalicoVersion;
  if (match && Number(match[1]) === major && Number(match[2]) >= minor) return undefined;
  return {
    code: "calico-version-unsupported",
    severity: "error",
    subjects: [`${projectName}:calico.version`],
    message: `calico.version "${version}" is not supported: before v${major}.${minor}.0 the tigera-operator chart bundles its CRDs and there is no ${calicoCrdChart} chart`,
    fix: `Set ${projectName}:calico.version to v${major}.${minor}.0 or later.`,
  };
}

function mtuProblem(calico: CalicoConfig["calico"]): CalicoProblem | undefined {
  const limit = calico.hostMtu - ipipOverheadBytes;
  if (calico.mtu <= limit) return undefined;
  return {
    code: "pod-mtu-too-large",
    severity: "error",
    subjects: [`${projectName}:calico.mtu`, `${projectName}:calico.hostMtu`],
    message: `calico.mtu ${calico.mtu} leaves no room for the ${ipipOverheadBytes}-byte IPIP header on a ${calico.hostMtu}-byte host interface; encapsulated packets would be dropped`,
    fix: `Set ${projectName}:calico.mtu to ${limit} or less, or leave it unset (default hostMtu - ${ipipOverheadBytes}).`,
  };
}

/**
 * Everything that stops Calico from being declared for this plan and config.
 * @returns pod-pool errors from the planner, an unsupported chart version, a pod MTU
 *   too large for IPIP; empty when the install can go ahead
 */
export function calicoProblems(plan: CalicoPlan, config: CalicoConfig): CalicoProblem[] {
  const problems: CalicoProblem[] = [...podPoolErrors(plan)];
  for (const problem of [versionProblem(config.calico.version), mtuProblem(config.calico)]) {
    if (problem) problems.push(problem);
  }
  return problems;
}

/** One line per problem: code, keys, what is wrong, how to fix it. */
export function formatCalicoProblems(stack: string, problems: readonly CalicoProblem[]): string {
  const lines = problems.map(
    (problem) =>
      ` - [${problem.code}] ${problem.subjects.join(", ")}: ${problem.message}. ${problem.fix}`,
  );
  return [`Calico cannot be installed on stack ${stack}:`, ...lines].join("\n");
}

/** Thrown by `tigeraOperatorValues` for a plan or config that would break the cluster. */
export class CalicoInputError extends Error {
  readonly problems: readonly CalicoProblem[];
  constructor(stack: string, problems: readonly CalicoProblem[]) {
    super(formatCalicoProblems(stack, problems));
    this.name = "CalicoInputError";
    this.problems = problems;
  }
}

/**
 * What identifies the pod pool for good: Calico cannot change a pool's CIDR or block
 * size in place, so a change to either is a new pool. Strings, as resource keepers.
 */
export function podPoolIdentity(plan: Pick<AddressPlan, "podPool">): {
  cidr: string;
  blockSize: string;
} {
  return { cidr: plan.podPool.cidr, blockSize: String(plan.podPool.blockSize) };
}

/**
 * The tigera-operator chart values: one IPv4 pool from the plan, IPIP CrossSubnet with
 * the plan's routing (BGP full mesh, or Felix with BGP off), the pod MTU and optional
 * components from config, the service range, and EC2 source/dest check off.
 * @throws CalicoInputError when `calicoProblems` reports anything
 */
export function tigeraOperatorValues(plan: CalicoPlan, config: CalicoConfig): TigeraOperatorValues {
  const problems = calicoProblems(plan, config);
  if (problems.length > 0) throw new CalicoInputError(plan.stack, problems);
  return {
    installation: {
      kubernetesProvider: "",
      cni: { type: "Calico", ipam: { type: "Calico" } },
      calicoNetwork: {
        ...(plan.routing.bgp
          ? { bgp: "Enabled" as const }
          : { bgp: "Disabled" as const, clusterRoutingMode: "Felix" as const }),
        mtu: config.calico.mtu,
        ipPools: [
          {
            cidr: plan.podPool.cidr,
            blockSize: plan.podPool.blockSize,
            encapsulation: plan.podPool.encapsulation,
            natOutgoing: "Enabled",
            nodeSelector: "all()",
          },
        ],
        nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
      },
      serviceCIDRs: [config.serviceCidr],
    },
    apiServer: { enabled: config.calico.apiServer },
    goldmane: { enabled: config.calico.goldmane },
    whisker: { enabled: config.calico.whisker },
    defaultFelixConfiguration: { enabled: true, awsSrcDstCheck: "Disable" },
  };
}
