/**
 * The stack config schema: one cluster per stack, keys under the project's
 * namespace (`calico-cluster:<key>`) plus the AWS provider's `aws:region`.
 * Pure: no Pulumi imports, so `npm run plan` and the tests validate exactly what
 * `pulumi up` will. Every default here is listed in the README's config reference.
 */
import { z } from "zod";
import { parseCidr } from "../../policy/rules/cidr";
import { defaultMaxPods } from "../../policy/rules/sizing";
import { kubernetesVersionProblem } from "./kubernetesVersion";
import { addonVersionPattern } from "./addonVersions";
import { defaultFullMeshMaxNodes } from "../../policy/rules/wellKnown";

/** `calico-cluster:registryMirror`: `host[:port][/path]`, lower case, no scheme and no trailing slash. */
export const registryMirrorPattern = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?(\/[a-z0-9._-]+)*$/;

/** Ubuntu 24.04 amd64 through its public SSM parameter: previews need no AMI lookup. */
export const defaultNodeImage =
  "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id";

/** An IPv4 CIDR, valid and strictly masked; the reason comes from the shared rule. */
const ipv4Cidr = z.string().superRefine((value, ctx) => {
  const parsed = parseCidr(value);
  if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.reason });
  else if (parsed.cidr.family !== "ipv4") ctx.addIssue({ code: "custom", message: "must be IPv4" });
});

/** Lower-case DNS label; names end up in resource names, tags and host names. */
const dnsLabel = (maxLength: number) =>
  z
    .string()
    .regex(
      /^[a-z]([a-z0-9-]*[a-z0-9])?$/,
      "must be lower-case letters, digits and dashes, starting with a letter",
    )
    .max(maxLength);

const positiveInt = z.number().int().positive();

/** Number of AZ slots the VPC is divided into; see lib/plan/addressPlan.ts. */
export const azSlotCount = 8;

/**
 * AZ names as AWS issues them: `<region><letter>` (standard, GovCloud, China, ISO),
 * `<region>-<place>-<n><letter>` (Local Zones) and `<region>-wl<n>-<place>-wlz-<n>`
 * (Wavelength Zones, which end in a digit and so need an explicit slot).
 */
const availabilityZonePattern = /^[a-z]{2}(-[a-z0-9]+)+([a-z]|-wlz-\d+)$/;

export const availabilityZoneSchema = z.union([
  z.string().regex(availabilityZonePattern, "is not an availability zone name"),
  z.strictObject({
    /** AZ name, e.g. `eu-west-1a`. */
    name: z.string().regex(availabilityZonePattern, "is not an availability zone name"),
    /** Address slot 0..7; default: the AZ letter (a=0, b=1, ...). */
    slot: z
      .number()
      .int()
      .min(0)
      .max(azSlotCount - 1),
  }),
]);

export const workerGroupSchema = z.strictObject({
  /** Stable key: names the Auto Scaling group and its resources. */
  name: dnsLabel(20),
  instanceType: z.string().regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, "is not an EC2 instance type"),
  minSize: z.number().int().min(0),
  maxSize: positiveInt,
  /** kubelet maxPods; default 110. */
  maxPods: positiveInt.max(1024).default(defaultMaxPods),
  /** Subset of the cluster's AZs; default all of them. */
  availabilityZones: z.array(z.string()).min(1).optional(),
  /** Root volume size in GiB; default 100. */
  rootVolumeSizeGiB: positiveInt.min(20).max(16384).default(100),
});

export const masterGroupSchema = z.strictObject({
  /** Instance type for the masters, one per AZ; default m6i.large. */
  instanceType: z
    .string()
    .regex(/^[a-z0-9-]+\.[a-z0-9-]+$/, "is not an EC2 instance type")
    .default("m6i.large"),
  /** kubelet maxPods on masters; default 110. */
  maxPods: positiveInt.max(1024).default(defaultMaxPods),
  /** Root volume size in GiB (etcd lives here); default 50. */
  rootVolumeSizeGiB: positiveInt.min(20).max(16384).default(50),
});

export const apiEndpointSchema = z.discriminatedUnion("access", [
  z.strictObject({
    access: z.literal("public"),
    /** Source ranges allowed to reach the API listener; required, never implied. */
    allowedCidrs: z.array(ipv4Cidr).min(1),
  }),
  z.strictObject({
    access: z.literal("private"),
    /** Extra internal ranges (VPN, peered VPCs) allowed to reach the API; default none. */
    allowedCidrs: z.array(ipv4Cidr).default([]),
  }),
]);

export const calicoSchema = z.strictObject({
  /**
   * Version of both Calico charts (CRDs and tigera-operator), with its leading `v`;
   * default v3.32.1. v3.32.0 or later: older charts bundle their CRDs.
   */
  version: z
    .string()
    .regex(/^v3\.\d+\.\d+$/, "must be a Calico chart version such as v3.32.1")
    .default("v3.32.1"),
  /** MTU of the node's network interface; default 9001 (EC2 jumbo frames). */
  hostMtu: z.number().int().min(1280).max(9001).default(9001),
  /** Pod MTU; default hostMtu - 20 (the IPIP header). */
  mtu: z.number().int().min(1000).max(9001).optional(),
  /**
   * The most nodes (masters included) the node groups may reach while Calico runs
   * BGP's node-to-node full mesh; default 100 (Calico's recommended mesh limit).
   * Above it the cluster turns BGP off and lets Felix program the routes
   * (`clusterRoutingMode: Felix`); see README "Routing past the mesh".
   */
  fullMeshMaxNodes: z.number().int().min(1).max(10000).default(defaultFullMeshMaxNodes),
  /** Run the Calico API server (projectcalico.org/v3 through kubectl); default false. */
  apiServer: z.boolean().default(false),
  /** Run Goldmane, Calico's flow-log aggregator; default false. */
  goldmane: z.boolean().default(false),
  /** Run Whisker, Calico's flow-log UI (needs goldmane); default false. */
  whisker: z.boolean().default(false),
  /**
   * Step 1 of moving a stack deployed with the `calico-crds` Helm release to the
   * server-side-applied CRDs: `retain` keeps that release in the program, frozen and
   * marked retainOnDelete, so removing it later leaves the CRDs. Default: unset (no
   * such release). See README "Moving the Calico CRDs off Helm".
   */
  legacyCrdRelease: z.literal("retain").optional(),
});

/** An in-cluster add-on's versions; both optional. */
const addonSchema = (chartExample: string) =>
  z.strictObject({
    /** Image tag, e.g. v1.34.3; default: the latest release of kubernetesVersion's minor. */
    version: z
      .string()
      .regex(addonVersionPattern, "must be an image tag such as v1.34.3")
      .optional(),
    /** Helm chart version; default: the version this program was checked against. */
    chartVersion: z
      .string()
      .regex(/^\d+\.\d+\.\d+$/, `must be a chart version such as ${chartExample}`)
      .optional(),
  });
/** Defaults of `calico`, written out: a zod default on an object is not parsed. */
export const calicoDefaults = {
  version: "v3.32.1",
  hostMtu: 9001,
  fullMeshMaxNodes: defaultFullMeshMaxNodes,
  apiServer: false,
  goldmane: false,
  whisker: false,
} as const;

export const reservedRangeSchema = z.strictObject({
  /** What the range is (peered VPC, on-premises, VPN); shown in findings. */
  name: z.string().min(1),
  cidr: ipv4Cidr,
});

export const ipamSchema = z.strictObject({
  /**
   * AWS VPC IPAM pool the VPC's planned `vpcCidr` is allocated from (pool locale =
   * the stack's region, shared to the account through AWS RAM when another owns it).
   */
  poolId: z
    .string()
    .regex(
      /^ipam-pool-[0-9a-f]{8,17}$/,
      "is not an IPAM pool id (ipam-pool- and 8 to 17 hex digits)",
    ),
});

/** The keys under `calico-cluster:`; see README "Config reference". */
export const clusterConfigSchema = z.strictObject({
  clusterName: dnsLabel(24),
  team: dnsLabel(40),
  environment: dnsLabel(20),
  availabilityZones: z.array(availabilityZoneSchema).min(1).max(6),
  vpcCidr: ipv4Cidr,
  /** Take vpcCidr from an AWS VPC IPAM pool; default none (the VPC claims vpcCidr itself). */
  ipam: ipamSchema.optional(),
  podCidr: ipv4Cidr,
  serviceCidr: ipv4Cidr.default("10.96.0.0/12"),
  podBlockSize: z.number().int().optional(),
  natGateways: z.enum(["perAz", "single", "none"]).default("perAz"),
  apiEndpoint: apiEndpointSchema.default({ access: "private", allowedCidrs: [] }),
  masters: masterGroupSchema.default({
    instanceType: "m6i.large",
    maxPods: defaultMaxPods,
    rootVolumeSizeGiB: 50,
  }),
  workerGroups: z.array(workerGroupSchema).min(1),
  reservedRanges: z.array(reservedRangeSchema).default([]),
  kubernetesVersion: z
    .string()
    .superRefine((version, ctx) => {
      const problem = kubernetesVersionProblem(version);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    .default("1.34.2"),
  /**
   * AMI id, or an SSM parameter as `resolve:ssm:/path` so a preview needs no lookup;
   * default Ubuntu 24.04 (`defaultNodeImage`), where the bootstrap installs the node
   * software. Required with `natGateways: none`: then an image with containerd,
   * kubeadm, kubelet, kubectl (of kubernetesVersion) and the aws CLI pre-installed.
   */
  nodeImage: z
    .string()
    .regex(/^(ami-[0-9a-f]{8,17}|resolve:ssm:\/.+)$/, "must be an AMI id or resolve:ssm:/parameter")
    .optional(),
  /**
   * A registry that serves every image the cluster pulls under its upstream path
   * (`host[:port][/path]`, e.g. `111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror`):
   * kubeadm's imageRepository, containerd's sandbox image, Calico's images. Default
   * none (upstream registries). Required with `natGateways: none`.
   */
  registryMirror: z
    .string()
    .regex(
      registryMirrorPattern,
      "must be host[:port][/path] in lower case, without scheme or trailing slash",
    )
    .optional(),
  /**
   * Root device of nodeImage, which the encrypted gp3 root volume replaces; default
   * `/dev/sda1` (Ubuntu). Debian images use `/dev/xvda`. The node bootstrap needs apt and systemd.
   */
  nodeRootDeviceName: z
    .string()
    .regex(/^\/dev\/[a-z0-9]+$/, "must be a device name such as /dev/sda1 or /dev/xvda")
    .optional(),
  /** Minutes `pulumi up` waits for the API's /readyz through the load balancer; default 20. */
  apiReadinessTimeoutMinutes: z.number().int().min(1).max(120).optional(),
  calico: calicoSchema.default(calicoDefaults),
  /** The AWS cloud controller manager; version default follows kubernetesVersion's minor. */
  cloudController: addonSchema("0.0.11").default({}),
  /** cluster-autoscaler; version default follows kubernetesVersion's minor. */
  clusterAutoscaler: addonSchema("9.59.0").default({}),
  /** Stacks sharing a routing domain must not collide (`npm run check -- --all`). */
  routingDomain: dnsLabel(40).optional(),
});

export type ClusterConfigInput = z.input<typeof clusterConfigSchema>;
export type ParsedClusterConfig = z.output<typeof clusterConfigSchema>;
export type WorkerGroupConfig = ParsedClusterConfig["workerGroups"][number];
