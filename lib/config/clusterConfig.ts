/**
 * Loads and validates one stack's config. Every problem becomes one line naming
 * the key as it is written in the stack file and the offending value; nothing
 * here throws on bad input.
 */
import { z } from "zod";
import { parseCidr } from "../../policy/rules/cidr";
import {
  azSlotCount,
  clusterConfigSchema,
  defaultNodeImage,
  type ParsedClusterConfig,
  type WorkerGroupConfig,
} from "./schema";
import { type ConfigProblem, configProblem } from "./problems";
import { kubernetesVersionProblem } from "./kubernetesVersion";
import { type AddonName, type AddonVersion, resolveAddonVersion } from "./addonVersions";

/** The Pulumi project name, and so the namespace of this program's config keys. */
export const projectName = "calico-cluster";

export interface AvailabilityZone {
  readonly name: string;
  /** Address slot in the VPC: fixed per AZ so adding or removing others moves nothing. */
  readonly slot: number;
}

export interface ClusterConfig extends Omit<
  ParsedClusterConfig,
  "availabilityZones" | "workerGroups" | "calico" | "nodeImage" | AddonName
> {
  readonly stack: string;
  /** `calico-cluster:nodeImage`, or the default Ubuntu image. */
  readonly nodeImage: string;
  readonly region: string;
  readonly availabilityZones: readonly AvailabilityZone[];
  readonly workerGroups: readonly (WorkerGroupConfig & { availabilityZones: string[] })[];
  readonly calico: Omit<ParsedClusterConfig["calico"], "mtu"> & { readonly mtu: number };
  /** The AWS cloud controller manager's image tag and chart version, resolved. */
  readonly cloudController: AddonVersion;
  /** cluster-autoscaler's image tag and chart version, resolved. */
  readonly clusterAutoscaler: AddonVersion;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: ClusterConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

const awsRegion = z
  .string({ error: "is required (the AWS region, e.g. eu-west-1)" })
  .regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, "is not an AWS region name");

/** The AZ letter picks the slot (a=0 ... h=7), so a zone keeps its range whatever else changes. */
export function defaultSlotFor(azName: string): number {
  return azName.charCodeAt(azName.length - 1) - "a".charCodeAt(0);
}

/** A problem that spans keys, before it becomes a schema issue (path below `calico-cluster:`). */
interface CrossKeyIssue {
  readonly path: readonly (string | number)[];
  readonly input: unknown;
  readonly message: string;
}

/**
 * API endpoints nobody could use or that anybody could reach. An internet-facing
 * load balancer resolves to public addresses even inside the VPC, so nodes reach it
 * through their NAT gateways' public IPs: without NAT they could never join.
 */
function apiEndpointIssues(
  cluster: Pick<ParsedClusterConfig, "apiEndpoint" | "natGateways">,
): CrossKeyIssue[] {
  const issues: CrossKeyIssue[] = [];
  const endpoint = cluster.apiEndpoint;
  if (endpoint.access === "public" && cluster.natGateways === "none") {
    issues.push({
      path: ["apiEndpoint", "access"],
      input: endpoint.access,
      message: `needs NAT gateways, but ${projectName}:natGateways = "none": nodes reach an internet-facing API load balancer through them. Set natGateways to single or perAz, or make the endpoint private.`,
    });
  }
  if (endpoint.access === "private") {
    endpoint.allowedCidrs.forEach((cidr, index) => {
      if (cidr.endsWith("/0")) {
        issues.push({
          path: ["apiEndpoint", "allowedCidrs", index],
          input: cidr,
          message:
            "opens the private API endpoint to every address; list the internal ranges (VPN, peered VPCs) that need it",
        });
      }
    });
  }
  return issues;
}

/**
 * Without NAT gateways nodes reach neither apt, pkgs.k8s.io nor the public
 * registries: the node software must come with the image and every image from a
 * mirror inside the network. One issue per missing key.
 */
function privateClusterIssues(
  cluster: Pick<ParsedClusterConfig, "natGateways" | "nodeImage" | "registryMirror">,
): CrossKeyIssue[] {
  if (cluster.natGateways !== "none") return [];
  const issues: CrossKeyIssue[] = [];
  if (cluster.nodeImage === undefined) {
    issues.push({
      path: ["nodeImage"],
      input: undefined,
      message: `is required with ${projectName}:natGateways = "none" (nodes cannot reach apt or pkgs.k8s.io): name an image with containerd, kubeadm, kubelet, kubectl of kubernetesVersion and the aws CLI pre-installed, and set ${projectName}:registryMirror too`,
    });
  }
  if (cluster.registryMirror === undefined) {
    issues.push({
      path: ["registryMirror"],
      input: undefined,
      message: `is required with ${projectName}:natGateways = "none" (nodes cannot reach registry.k8s.io, quay.io or docker.io): name a registry inside the network that serves every image the cluster pulls, and set ${projectName}:nodeImage too`,
    });
  }
  return issues;
}

/**
 * The API endpoint settings nobody could use or anybody could reach, as config
 * problems; the schema refuses them, and so do the security groups.
 */
export function apiEndpointProblems(
  cluster: Pick<ParsedClusterConfig, "apiEndpoint" | "natGateways">,
): ConfigProblem[] {
  return apiEndpointIssues(cluster).map((issue) =>
    configProblem(
      keyFor(["cluster", ...issue.path]),
      `= ${JSON.stringify(issue.input)} ${issue.message}`,
    ),
  );
}

const stackConfigSchema = z
  .strictObject({ region: awsRegion, cluster: clusterConfigSchema })
  .superRefine(({ region, cluster }, ctx) => {
    const zones = cluster.availabilityZones.map((zone) =>
      typeof zone === "string" ? { name: zone, slot: defaultSlotFor(zone) } : zone,
    );
    const bySlot = new Map<number, string>();
    const names = new Set<string>();
    zones.forEach((zone, index) => {
      const path = ["cluster", "availabilityZones", index];
      // Local and Wavelength zones are named <region>-<place>-<n><letter>.
      const suffix = zone.name.slice(region.length);
      const regionValid = awsRegion.safeParse(region).success;
      if (regionValid && (!zone.name.startsWith(region) || !/^([a-z]|-.+)$/.test(suffix))) {
        ctx.addIssue({ code: "custom", path, input: zone.name, message: `is not in ${region}` });
      }
      if (names.has(zone.name)) {
        ctx.addIssue({ code: "custom", path, input: zone.name, message: "is listed twice" });
      }
      names.add(zone.name);
      if (zone.slot < 0 || zone.slot >= azSlotCount) {
        ctx.addIssue({
          code: "custom",
          path,
          input: zone.name,
          message: `has no default address slot (letters a to h map to slots 0 to 7); give it as { name: ${zone.name}, slot: <0-7> }`,
        });
        return;
      }
      const holder = bySlot.get(zone.slot);
      if (holder !== undefined) {
        ctx.addIssue({
          code: "custom",
          path,
          input: zone.name,
          message: `uses address slot ${zone.slot}, already used by ${holder}; give one of them another slot`,
        });
      }
      bySlot.set(zone.slot, zone.name);
    });
    const vpc = parseCidr(cluster.vpcCidr);
    const vpcPrefix = vpc.ok && vpc.cidr.family === "ipv4" ? vpc.cidr.prefix : undefined;
    if (vpcPrefix !== undefined && (vpcPrefix < 16 || vpcPrefix > 22)) {
      ctx.addIssue({
        code: "custom",
        path: ["cluster", "vpcCidr"],
        input: cluster.vpcCidr,
        message:
          "must be /16 to /22 (AWS allows at most /16; the subnet layout needs at least /22)",
      });
    }
    for (const issue of [...apiEndpointIssues(cluster), ...privateClusterIssues(cluster)]) {
      ctx.addIssue({
        code: "custom",
        path: ["cluster", ...issue.path],
        input: issue.input,
        message: issue.message,
      });
    }
    const versionKnown = kubernetesVersionProblem(cluster.kubernetesVersion) === undefined;
    for (const addon of versionKnown ? (["cloudController", "clusterAutoscaler"] as const) : []) {
      const resolved = resolveAddonVersion(addon, cluster.kubernetesVersion, cluster[addon]);
      if (!resolved.ok) {
        ctx.addIssue({
          code: "custom",
          path: ["cluster", addon, "version"],
          input: cluster[addon].version,
          message: resolved.message,
        });
      }
    }
    const groupNames = new Set<string>();
    cluster.workerGroups.forEach((group, index) => {
      const path = ["cluster", "workerGroups", index];
      if (groupNames.has(group.name)) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "name"],
          input: group.name,
          message: "is used by two worker groups",
        });
      }
      groupNames.add(group.name);
      if (group.minSize > group.maxSize) {
        ctx.addIssue({
          code: "custom",
          path: [...path, "minSize"],
          input: group.minSize,
          message: `is larger than maxSize ${group.maxSize}`,
        });
      }
      group.availabilityZones?.forEach((zone, zoneIndex) => {
        if (!names.has(zone)) {
          ctx.addIssue({
            code: "custom",
            path: [...path, "availabilityZones", zoneIndex],
            input: zone,
            message: `is not one of the cluster's availabilityZones (${[...names].join(", ")})`,
          });
        }
      });
    });
  });

/** `["cluster", "workerGroups", 1, "maxPods"]` → `calico-cluster:workerGroups[1].maxPods`. */
export function keyFor(path: readonly PropertyKey[]): string {
  if (path.length === 0) return `${projectName}`;
  if (path[0] === "region") return "aws:region";
  let key = `${projectName}:`;
  path.slice(1).forEach((part, index) => {
    if (typeof part === "number") key += `[${part}]`;
    else key += index === 0 ? String(part) : `.${String(part)}`;
  });
  return key;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function problemFor(issue: z.core.$ZodIssue): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((unknownKey) =>
      configProblem(
        keyFor([...issue.path, unknownKey]),
        "is not a known key (see the README's config reference)",
        "unknown-key",
      ),
    );
  }
  const input = "input" in issue ? issue.input : undefined;
  const missing = input === undefined && issue.code === "invalid_type";
  const value = describeValue(input);
  const message = missing
    ? issue.message.startsWith("Invalid input")
      ? "is required"
      : issue.message
    : value
      ? `= ${value} ${issue.message}`
      : issue.message;
  return [configProblem(keyFor(issue.path), message, missing ? "missing-key" : "invalid-value")];
}

/** An add-on's resolved version; the schema has already refused any that cannot resolve. */
function addonVersion(addon: AddonName, parsed: ParsedClusterConfig): AddonVersion {
  const resolved = resolveAddonVersion(addon, parsed.kubernetesVersion, parsed[addon]);
  if (!resolved.ok) throw new Error(`${addon}.version: ${resolved.message}`);
  return resolved.value;
}

/**
 * Validates a stack's config.
 * @param stack the stack name (file `stacks/Pulumi.<stack>.yaml`)
 * @param region the value of `aws:region`
 * @param cluster the keys under the `calico-cluster:` namespace, without the prefix
 */
export function parseClusterConfig(stack: string, region: unknown, cluster: unknown): ConfigResult {
  const result = stackConfigSchema.safeParse({ region, cluster }, { reportInput: true });
  if (!result.success) {
    return { ok: false, problems: result.error.issues.flatMap(problemFor) };
  }
  const parsed = result.data.cluster;
  const zones = parsed.availabilityZones.map((zone) =>
    typeof zone === "string" ? { name: zone, slot: defaultSlotFor(zone) } : zone,
  );
  return {
    ok: true,
    config: {
      ...parsed,
      nodeImage: parsed.nodeImage ?? defaultNodeImage,
      stack,
      region: result.data.region,
      availabilityZones: zones,
      workerGroups: parsed.workerGroups.map((group) => ({
        ...group,
        availabilityZones: group.availabilityZones ?? zones.map((zone) => zone.name),
      })),
      calico: { ...parsed.calico, mtu: parsed.calico.mtu ?? parsed.calico.hostMtu - 20 },
      cloudController: addonVersion("cloudController", parsed),
      clusterAutoscaler: addonVersion("clusterAutoscaler", parsed),
    },
  };
}
