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
  Policy,
  ReportViolation,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  Severity,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { type PackSettings, defaultSettings } from "./extract/index";
import { analyseStack, settingsKey } from "./extract/stackAnalysis";
import type { NetworkFacts } from "./rules/facts";
import type { Finding, FindingCode } from "./rules/findings";
import { checkNetwork } from "./rules/index";
import { checkMeshScale } from "./rules/meshScale";
import { checkCalicoPorts } from "./rules/nodeAccess";
import { checkClusterSecurityGroups } from "./extract/clusterSecurityGroups";
import { defaultFullMeshMaxNodes } from "./rules/wellKnown";
import { findUserDataSecrets, type UserDataSecret } from "./rules/userDataSecrets";

/** The pack's name, as `pulumi preview --policy-pack` reports it. */
export const packName = "calico-aws-network";

/** Config keys of the policies that read them (see README "Configuration"). */
export interface NetworkPolicyConfig {
  readonly reservedRanges?: readonly { readonly name: string; readonly cidr: string }[];
  readonly serviceCidr?: string;
  readonly defaultMaxPods?: number;
  readonly maxMeshNodes?: number;
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
  /** The rule; `config` is this policy's own config (already checked against its schema). */
  readonly check: (facts: NetworkFacts, config: NetworkPolicyConfig) => Finding[];
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
      const config = args.getConfig<NetworkPolicyConfig>();
      const settings = settingsFrom(config);
      const analysis = analyseStack(args.resources);
      const facts = analysis.facts(settings);
      const findings = analysis.once(
        spec.check,
        `${settingsKey(settings)}${JSON.stringify(config)}`,
        () => spec.check(facts, config),
      );
      for (const finding of findings) {
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
    const analysis = analyseStack(args.resources);
    const problems = analysis.once(checkClusterSecurityGroups, "", () =>
      checkClusterSecurityGroups(analysis.graph),
    );
    for (const problem of problems) {
      reportViolation(
        `[${problem.code}] ${problem.message}\nFix: ${problem.fix}`,
        problem.subjects[0],
      );
    }
  },
};

const meshScaleConfig: PolicyConfigSchema = {
  properties: {
    maxMeshNodes: {
      type: "integer",
      minimum: 1,
      description: `Most nodes (the Auto Scaling groups' maxSize, summed) a Calico network may run BGP's full mesh over. Default: ${defaultFullMeshMaxNodes} (Calico's recommendation).`,
      default: defaultFullMeshMaxNodes,
    },
  },
};

/** The configured mesh limit, or the default when it is absent or not a positive integer. */
export function maxMeshNodesFrom(config: NetworkPolicyConfig): number {
  const value = config.maxMeshNodes;
  return typeof value === "number" && Number.isInteger(value) && value > 0
    ? value
    : defaultFullMeshMaxNodes;
}

export const bgpMeshScale = networkPolicy({
  name: "bgp-mesh-scale",
  description:
    "A Calico network on BGP must not run the node-to-node full mesh over more nodes than the mesh is meant for (Calico recommends route reflectors beyond about 100).",
  enforcementLevel: "advisory",
  severity: "medium",
  codes: ["bgp-mesh-too-large"],
  remediationSteps:
    "Switch to Felix cluster routing with BGP off (calicoNetwork.clusterRoutingMode: Felix, bgp: Disabled), or create BGPPeers to route reflectors and then set nodeToNodeMeshEnabled: false in the default BGPConfiguration.",
  configSchema: meshScaleConfig,
  check: (facts, config) => checkMeshScale(facts, maxMeshNodesFrom(config)),
});

/** Resources whose user data EC2 hands to anyone allowed to describe them, and to IMDS. */
const userDataProperties: Readonly<Record<string, readonly string[]>> = {
  "aws:ec2/launchTemplate:LaunchTemplate": ["userData"],
  "aws:ec2/instance:Instance": ["userData", "userDataBase64"],
  "aws:ec2/launchConfiguration:LaunchConfiguration": ["userData", "userDataBase64"],
};

const secretKey = "4dabf18193072939515e22adb298388d";

/** The property as a string, unwrapping a raw secret; undefined if unknown or absent. */
function readUserData(props: object, key: string): string | undefined {
  let value: unknown;
  try {
    value = (props as Record<string, unknown>)[key];
    if (typeof value === "object" && value !== null && secretKey in value) {
      value = (value as { value?: unknown }).value;
    }
  } catch {
    return undefined; // an unknown value (a preview): nothing to check yet
  }
  return typeof value === "string" && !/^[0-9a-f]{8}-[0-9a-f-]{27}$/.test(value)
    ? value
    : undefined;
}

function describeSecrets(secrets: readonly UserDataSecret[]): string {
  return secrets
    .map((secret) => {
      const what = secret.kind === "private-key" ? `a PEM ${secret.label}` : `a ${secret.label}`;
      return secret.encodings.length > 0
        ? `${what} (after decoding ${secret.encodings.join(" → ")})`
        : what;
    })
    .join(" and ");
}

/**
 * A resource policy, so it runs in Analyze as each resource is registered: a
 * mandatory violation stops `pulumi up` before the launch template or instance,
 * and so the key in its user data, reaches AWS. (A stack policy only runs once
 * the update is over.)
 */
export const noSecretsInUserData: ResourceValidationPolicy = {
  name: "no-secrets-in-user-data",
  description:
    "Launch templates and instances must not carry private keys or kubeadm bootstrap tokens in their user data: anyone allowed ec2:DescribeLaunchTemplateVersions, ec2:GetLaunchTemplateData or ec2:DescribeInstanceAttribute reads it, and so does anything on the instance that reaches the metadata service.",
  enforcementLevel: "mandatory",
  severity: "critical",
  remediationSteps:
    "Keep keys and tokens in AWS Secrets Manager or an SSM SecureString under a customer-managed KMS key that only the instance's role may use, and have the boot script fetch them; the user data carries only their names.",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    try {
      const { type, name, urn, props } = args as {
        type?: unknown;
        name?: unknown;
        urn?: unknown;
        props?: unknown;
      };
      const keys = typeof type === "string" ? userDataProperties[type] : undefined;
      if (!keys || typeof props !== "object" || props === null) return;
      for (const key of keys) {
        const userData = readUserData(props, key);
        if (userData === undefined) continue;
        const secrets = findUserDataSecrets(userData);
        if (secrets.length === 0) continue;
        reportViolation(
          `[secret-in-user-data] ${String(type)} ${String(name)}: ${key} holds ${describeSecrets(secrets)}. EC2 user data is not secret.\nFix: Move the material to Secrets Manager or an SSM SecureString under a customer-managed KMS key readable only by the instance's role, fetch it at boot, and keep only its name in the user data.`,
          typeof urn === "string" ? urn : undefined,
        );
      }
    } catch {
      // An odd resource shape is no violation.
    }
  },
};

export const policies: Policy[] = [
  noCidrOverlap,
  podBlockFitsNode,
  podPoolCapacity,
  crossSubnetEncapsulation,
  calicoPortsOpen,
  oneClusterSecurityGroup,
  bgpMeshScale,
  noSecretsInUserData,
];
