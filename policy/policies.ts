/**
 * The pack's policies. Each is a stack policy: it extracts network facts from
 * every resource the program declares, runs the shared rules in policy/rules (the
 * same ones `npm run plan` runs on a stack config) and reports the findings whose
 * codes it owns, with the finding's message and fix, on the finding's first
 * resource. Kept apart from index.ts so tests can call the validators without
 * starting the pack's gRPC server.
 */
import type {
  EnforcementLevel,
  PolicyConfigSchema,
  ReportViolation,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { type PackSettings, defaultSettings, extractFacts } from "./extract/index";
import type { NetworkFacts } from "./rules/facts";
import type { Finding, FindingCode } from "./rules/findings";
import { checkNetwork } from "./rules/index";
import { checkCalicoPorts } from "./rules/nodeAccess";
import { checkClusterSecurityGroups } from "./extract/clusterSecurityGroups";
import { ResourceGraph } from "./extract/resources";

/** The pack's name, as `pulumi preview --policy-pack` reports it. */
export const packName = "calico-aws-network";

/** Config keys of the policies that read them (see README "Configuration"). */
export interface NetworkPolicyConfig {
  readonly reservedRanges?: readonly { readonly name: string; readonly cidr: string }[];
  readonly serviceCidr?: string;
  readonly defaultMaxPods?: number;
}

const cidrPattern = "^[0-9A-Fa-f:.]+/[0-9]{1,3}$";

const overlapConfig: PolicyConfigSchema = {
  properties: {
    reservedRanges: {
      type: "array",
      description:
        "Ranges the organisation routes elsewhere (peered VPCs, on-premises, VPN); no cluster range may overlap them. Default: none.",
      items: {
        type: "object",
        properties: {
          name: { type: "string", minLength: 1 },
          cidr: { type: "string", pattern: cidrPattern },
        },
        required: ["name", "cidr"],
        additionalProperties: false,
      },
      default: [],
    },
    serviceCidr: {
      type: "string",
      pattern: cidrPattern,
      description:
        "Service range of a self-managed cluster (the stack installs Calico or has Kubernetes-tagged node groups, and no EKS cluster), used when no Installation declares serviceCIDRs. Default: 10.96.0.0/12 (kubeadm's).",
      default: defaultSettings.serviceCidr,
    },
  },
};

const maxPodsConfig: PolicyConfigSchema = {
  properties: {
    defaultMaxPods: {
      type: "integer",
      minimum: 1,
      maximum: 1024,
      description: `kubelet maxPods of node groups without the ${"k8s.io/cluster-autoscaler/node-template/resources/pods"} tag. Default: ${defaultSettings.defaultMaxPods}.`,
      default: defaultSettings.defaultMaxPods,
    },
  },
};

/** Reads the policy's config over the defaults; the CLI has already checked it against the schema. */
export function settingsFrom(config: NetworkPolicyConfig): PackSettings {
  const ranges = Array.isArray(config.reservedRanges) ? config.reservedRanges : [];
  return {
    serviceCidr:
      typeof config.serviceCidr === "string" ? config.serviceCidr : defaultSettings.serviceCidr,
    reservedRanges: ranges.filter(
      (range) => typeof range?.name === "string" && typeof range.cidr === "string",
    ),
    defaultMaxPods:
      typeof config.defaultMaxPods === "number" && Number.isInteger(config.defaultMaxPods)
        ? config.defaultMaxPods
        : defaultSettings.defaultMaxPods,
  };
}

/** The violation text: the stable code, what is wrong, and how to fix it. */
export function violationMessage(finding: Finding): string {
  return `[${finding.code}] ${finding.message}\nFix: ${finding.fix}`;
}

/** The resource a finding is reported on: its first subject that is a URN (else the stack). */
export function violationUrn(finding: Finding): string | undefined {
  return finding.subjects.find((subject) => subject.startsWith("urn:pulumi:"));
}

interface NetworkPolicySpec {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  readonly severity: Severity;
  readonly codes: readonly FindingCode[];
  readonly remediationSteps: string;
  readonly configSchema?: PolicyConfigSchema;
  readonly check: (facts: NetworkFacts) => Finding[];
}

function networkPolicy(spec: NetworkPolicySpec): StackValidationPolicy {
  const owned = new Set<FindingCode>(spec.codes);
  return {
    name: spec.name,
    description: spec.description,
    enforcementLevel: spec.enforcementLevel,
    severity: spec.severity,
    remediationSteps: spec.remediationSteps,
    ...(spec.configSchema ? { configSchema: spec.configSchema } : {}),
    validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
      const facts = extractFacts(
        args.resources,
        settingsFrom(args.getConfig<NetworkPolicyConfig>()),
      );
      for (const finding of spec.check(facts)) {
        if (owned.has(finding.code))
          reportViolation(violationMessage(finding), violationUrn(finding));
      }
    },
  };
}

export const noCidrOverlap = networkPolicy({
  name: "no-cidr-overlap",
  description:
    "VPC ranges, subnets, Calico pod pools, the cluster's service range (EKS's own, or a self-managed cluster's) and the organisation's reserved ranges must not overlap; subnets must lie inside their VPC.",
  enforcementLevel: "mandatory",
  severity: "critical",
  codes: ["invalid-cidr", "cidr-overlap", "subnet-overlap", "subnet-outside-vpc"],
  remediationSteps:
    "Give each range its own part of the address space: pod pools from a range the VPC does not route (e.g. 100.64.0.0/10), subnets carved from their VPC, nothing inside a reserved range.",
  configSchema: overlapConfig,
  check: checkNetwork,
});

export const podBlockFitsNode = networkPolicy({
  name: "pod-block-fits-node",
  description:
    "Each Calico pool's block must hold a whole node: its node groups' max pods plus the IPIP tunnel address.",
  enforcementLevel: "mandatory",
  severity: "high",
  codes: ["block-too-small-for-pods", "block-size-out-of-range", "pool-smaller-than-block"],
  remediationSteps:
    "Use a shorter block size (e.g. /25 for 110 pods), or lower maxPods on the node groups; block size cannot change once the pool exists.",
  configSchema: maxPodsConfig,
  check: checkNetwork,
});

export const podPoolCapacity = networkPolicy({
  name: "pod-pool-capacity",
  description:
    "Calico pools must have a block for every node the Auto Scaling groups can reach, and every subnet an address for every node that can land in it.",
  enforcementLevel: "mandatory",
  severity: "high",
  codes: ["pool-too-small-for-nodes", "subnet-too-small-for-nodes"],
  remediationSteps: "Widen the pod pool or the subnets, or lower the groups' maxSize.",
  check: checkNetwork,
});

export const crossSubnetEncapsulation = networkPolicy({
  name: "cross-subnet-encapsulation",
  description:
    "When nodes span more than one subnet, pod traffic must be encapsulated: the VPC drops packets addressed to pod IPs it does not route.",
  enforcementLevel: "mandatory",
  severity: "high",
  codes: ["encapsulation-required"],
  remediationSteps: "Set the pool's encapsulation to IPIPCrossSubnet (or VXLANCrossSubnet).",
  check: checkNetwork,
});

export const calicoPortsOpen = networkPolicy({
  name: "calico-ports-open",
  description:
    "With IPIP, node security groups must let IP protocol 4 and TCP 179 (BGP) in from the other nodes.",
  enforcementLevel: "advisory",
  severity: "medium",
  codes: ["calico-ports-closed"],
  remediationSteps:
    "Add ingress rules for IP protocol 4 and TCP 179 from the node security groups (self-referencing) or the VPC CIDR.",
  check: checkCalicoPorts,
});

/**
 * The AWS cloud controller refuses load balancers for an instance with two
 * security groups tagged for its cluster. Reads resources directly: the network
 * facts carry no tags.
 */
export const oneClusterSecurityGroup: StackValidationPolicy = {
  name: "one-cluster-security-group",
  description:
    "Each launch template, launch configuration or instance may carry at most one security group tagged kubernetes.io/cluster/<name> for a cluster: with two, the AWS cloud controller refuses every LoadBalancer Service on those nodes.",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Keep the kubernetes.io/cluster/<name> tag on exactly one of the instance's security groups (the node or master group) and remove it from the others.",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    for (const problem of checkClusterSecurityGroups(new ResourceGraph(args.resources))) {
      reportViolation(
        `[${problem.code}] ${problem.message}\nFix: ${problem.fix}`,
        problem.subjects[0],
      );
    }
  },
};

export const policies: StackValidationPolicy[] = [
  noCidrOverlap,
  podBlockFitsNode,
  podPoolCapacity,
  crossSubnetEncapsulation,
  calicoPortsOpen,
  oneClusterSecurityGroup,
];
