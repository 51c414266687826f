/**
 * A corpus of stacks this program did not write, in the shapes awsx, EKS,
 * pulumi-eks and plain aws.ec2 programs produce, each with the verdict the pack
 * must give: awsx `ec2.Vpc` (a component whose VPC, subnets, route tables and NAT
 * gateways are its children, URNs nested under it), two VPCs blue/green, an
 * `aws.eks.Cluster` with the VPC CNI and with custom networking, pulumi-eks's
 * `eks.Cluster` with its defaults (the default VPC's subnets by literal id), a
 * tigera-operator Helm release over an awsx VPC, and self-managed Calico on
 * awsx subnets. Every stack comes in update form (ids and outputs known, no
 * dependencies) and preview form (ids unknown, relations only through property
 * dependencies, and a component's outputs depending on the component alone).
 */
import type { AnalyzerResourceInput } from "../../lib/analyzer/client";
import { unknownSentinel } from "../../lib/analyzer/client";
import { type Mode, StackBuilder } from "./policyResources";

/** A diagnostic the pack must report: its policy and finding code. */
export type Verdict = readonly [policy: string, code: string];

export interface ForeignStack {
  readonly name: string;
  readonly description: string;
  readonly build: (mode: Mode) => AnalyzerResourceInput[];
  /** Every diagnostic of every policy, sorted; empty for a clean stack. */
  readonly verdict: readonly Verdict[];
  /** Per mode, text every diagnostic's message must contain (e.g. "inferred" in a preview). */
  readonly messageIncludes?: Partial<Record<Mode, string>>;
}

const t = {
  awsxVpc: "awsx:ec2:Vpc",
  vpc: "aws:ec2/vpc:Vpc",
  association: "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
  subnet: "aws:ec2/subnet:Subnet",
  routeTable: "aws:ec2/routeTable:RouteTable",
  eip: "aws:ec2/eip:Eip",
  natGateway: "aws:ec2/natGateway:NatGateway",
  igw: "aws:ec2/internetGateway:InternetGateway",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  asg: "aws:autoscaling/group:Group",
  role: "aws:iam/role:Role",
  eksComponent: "eks:index:Cluster",
  eksCluster: "aws:eks/cluster:Cluster",
  eksNodeGroup: "aws:eks/nodeGroup:NodeGroup",
  eniConfig: "kubernetes:crd.k8s.amazonaws.com/v1alpha1:ENIConfig",
  release: "kubernetes:helm.sh/v3:Release",
  ipPool: "kubernetes:crd.projectcalico.org/v1:IPPool",
} as const;

interface AwsxVpc {
  /** The component's logical name. */
  readonly name: string;
  readonly urn: string;
  readonly vpcUrn: string;
  readonly privateSubnets: readonly string[];
  readonly publicSubnets: readonly string[];
}

/**
 * An awsx `ec2.Vpc` as awsx declares it: per AZ a public and a private subnet
 * (awsx names them `<vpc>-public-<n>`, `<vpc>-private-<n>`), route tables, one
 * NAT gateway and EIP per AZ, an internet gateway. `cidr` is a /16.
 */
function awsxVpc(b: StackBuilder, name: string, cidr: string, zones = 3): AwsxVpc {
  const [a, bOctet] = cidr.split(".");
  const ids = (prefix: string) =>
    Array.from({ length: zones }, (_, i) => `${name}-${prefix}-${i + 1}-id`);
  const urn = b.add(t.awsxVpc, name, () =>
    b.mode === "update"
      ? {
          vpcId: `${name}-id`,
          privateSubnetIds: ids("private"),
          publicSubnetIds: ids("public"),
        }
      : {},
  );
  const vpcUrn = b.add(t.vpc, name, () => ({ cidrBlock: cidr, enableDnsHostnames: true }), urn);
  b.add(t.igw, name, (ref) => ({ vpcId: ref("vpcId", vpcUrn) }), urn);
  const privateSubnets: string[] = [];
  const publicSubnets: string[] = [];
  for (let i = 0; i < zones; i++) {
    const az = `us-east-1${"abcdef"[i]}`;
    for (const [kind, third, size, list] of [
      ["private", i * 64, 18, privateSubnets],
      ["public", 192 + i * 16, 20, publicSubnets],
    ] as const) {
      const subnet = `${name}-${kind}-${i + 1}`;
      list.push(
        b.add(
          t.subnet,
          subnet,
          (ref) => ({
            vpcId: ref("vpcId", vpcUrn),
            cidrBlock: `${a}.${bOctet}.${third}.0/${size}`,
            availabilityZone: az,
            mapPublicIpOnLaunch: kind === "public",
            tags: { Name: subnet, SubnetType: kind === "public" ? "Public" : "Private" },
          }),
          urn,
        ),
      );
      b.add(t.routeTable, subnet, (ref) => ({ vpcId: ref("vpcId", vpcUrn) }), urn);
    }
    b.add(t.eip, `${name}-${i + 1}`, () => ({ domain: "vpc" }), urn);
    b.add(
      t.natGateway,
      `${name}-${i + 1}`,
      (ref) => ({
        subnetId: ref("subnetId", `${name}-public-${i + 1}`),
        allocationId: ref("allocationId", `${name}-${i + 1}`),
      }),
      urn,
    );
  }
  return { name, urn, vpcUrn, privateSubnets, publicSubnets };
}

/**
 * A list of a component's output ids as the engine sends it: the ids after an
 * update; in a preview one unknown value that depends on the component alone.
 */
function componentIds(
  b: StackBuilder,
  ref: (property: string, target: string) => string,
  property: string,
  vpc: AwsxVpc,
  subnets: readonly string[],
): string[] | string {
  if (b.mode === "update") return subnets.map((urn) => `${b.byName(urn).name}-id`);
  ref(property, vpc.urn);
  return unknownSentinel;
}

/** Self-managed Kubernetes nodes on `subnets` of an awsx VPC: a launch template and a tagged ASG. */
function selfManagedNodes(
  b: StackBuilder,
  vpc: AwsxVpc,
  options: { readonly maxPods?: number; readonly openSecurityGroup?: boolean } = {},
): void {
  b.add(t.securityGroup, "nodes-sg", (ref) => ({
    vpcId: ref("vpcId", vpc.vpcUrn),
    ingress:
      options.openSecurityGroup === false
        ? [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.0.0/8"] }]
        : [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }],
  }));
  b.add(t.launchTemplate, "nodes-lt", (ref) => ({
    imageId: "ami-0abcdef1234567890",
    vpcSecurityGroupIds: [ref("vpcSecurityGroupIds", "nodes-sg")],
  }));
  b.add(t.asg, "nodes", (ref) => ({
    minSize: 3,
    maxSize: 12,
    vpcZoneIdentifiers: componentIds(b, ref, "vpcZoneIdentifiers", vpc, vpc.privateSubnets),
    launchTemplate: { id: ref("launchTemplate", "nodes-lt"), version: "$Latest" },
    tags: [
      { key: "kubernetes.io/cluster/demo", value: "owned", propagateAtLaunch: true },
      ...(options.maxPods === undefined
        ? []
        : [
            {
              key: "k8s.io/cluster-autoscaler/node-template/resources/pods",
              value: String(options.maxPods),
              propagateAtLaunch: false,
            },
          ]),
    ],
  }));
}

/** An `aws.eks.Cluster` on the private subnets of an awsx VPC, with a managed node group. */
function eksCluster(
  b: StackBuilder,
  vpc: AwsxVpc,
  name: string,
  network: Record<string, unknown> | undefined,
  chosenServiceCidr: string,
): void {
  b.add(t.role, `${name}-cluster`, () => ({ assumeRolePolicy: "{}" }));
  b.add(t.eksCluster, name, (ref) => ({
    roleArn: ref("roleArn", `${name}-cluster`),
    vpcConfig: {
      subnetIds: componentIds(b, ref, "vpcConfig", vpc, vpc.privateSubnets),
      endpointPrivateAccess: true,
    },
    // EKS reports the range it chose after an update; a preview leaves an unset one unknown.
    ...(network !== undefined
      ? { kubernetesNetworkConfig: network }
      : b.mode === "update"
        ? { kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: chosenServiceCidr } }
        : {}),
  }));
  b.add(t.eksNodeGroup, `${name}-nodes`, (ref) => ({
    clusterName: ref("clusterName", name),
    subnetIds: componentIds(b, ref, "subnetIds", vpc, vpc.privateSubnets),
    scalingConfig: { minSize: 2, maxSize: 10, desiredSize: 3 },
  }));
}

function tigeraOperator(b: StackBuilder, installation: Record<string, unknown>): void {
  b.add(t.release, "tigera-operator", () => ({
    chart: "tigera-operator",
    version: "v3.32.1",
    namespace: "tigera-operator",
    repositoryOpts: { repo: "https://docs.tigera.io/calico/charts" },
    values: { installation },
  }));
}

function calicoPool(b: StackBuilder, spec: Record<string, unknown>): void {
  b.add(t.ipPool, "pods", () => ({
    apiVersion: "crd.projectcalico.org/v1",
    kind: "IPPool",
    metadata: { name: "pods" },
    spec: { natOutgoing: true, ...spec },
  }));
}

const stack =
  (nest: (b: StackBuilder) => void) =>
  (mode: Mode): AnalyzerResourceInput[] => {
    const b = new StackBuilder(mode, true);
    nest(b);
    return b.resources;
  };

export const foreignStacks: readonly ForeignStack[] = [
  {
    name: "awsx-vpc-defaults",
    description: "awsx ec2.Vpc with its defaults (10.0.0.0/16, three AZs), nothing else",
    build: stack((b) => void awsxVpc(b, "vpc", "10.0.0.0/16")),
    verdict: [],
  },
  {
    name: "awsx-vpc-in-default-service-range",
    description:
      "an awsx VPC at 10.100.0.0/16 (inside kubeadm's 10.96.0.0/12) in a stack without Kubernetes",
    build: stack((b) => void awsxVpc(b, "vpc", "10.100.0.0/16")),
    verdict: [],
  },
  {
    name: "two-vpcs-blue-green",
    description: "blue and green awsx VPCs, each with an EKS cluster on its default service range",
    build: stack((b) => {
      const blue = awsxVpc(b, "blue", "10.96.0.0/16");
      const green = awsxVpc(b, "green", "10.97.0.0/16");
      eksCluster(b, blue, "blue-eks", undefined, "172.20.0.0/16");
      eksCluster(b, green, "green-eks", undefined, "172.20.0.0/16");
    }),
    verdict: [],
  },
  {
    name: "eks-vpc-cni-service-range-set",
    description:
      "aws.eks.Cluster with the VPC CNI, serviceIpv4Cidr 172.20.0.0/16, in a VPC inside 10.96.0.0/12",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.96.0.0/16");
      eksCluster(b, vpc, "eks", { serviceIpv4Cidr: "172.20.0.0/16" }, "172.20.0.0/16");
    }),
    verdict: [],
  },
  {
    name: "eks-service-range-inside-vpc",
    description: "aws.eks.Cluster whose serviceIpv4Cidr lies inside its own VPC (EKS refuses it)",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      eksCluster(b, vpc, "eks", { serviceIpv4Cidr: "10.0.192.0/24" }, "10.0.192.0/24");
    }),
    verdict: [["no-cidr-overlap", "cidr-overlap"]],
  },
  {
    name: "eks-custom-networking",
    description:
      "aws.eks.Cluster with VPC CNI custom networking: a secondary 100.64.0.0/16 range, pod subnets and ENIConfigs",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      b.add(t.association, "pods", (ref) => ({
        vpcId: ref("vpcId", vpc.vpcUrn),
        cidrBlock: "100.64.0.0/16",
      }));
      for (const [index, zone] of ["a", "b", "c"].entries()) {
        b.add(t.subnet, `pods-${zone}`, (ref) => ({
          vpcId: ref("vpcId", vpc.vpcUrn),
          cidrBlock: `100.64.${index * 64}.0/18`,
          availabilityZone: `us-east-1${zone}`,
        }));
        b.add(t.eniConfig, `us-east-1${zone}`, (ref) => ({
          apiVersion: "crd.k8s.amazonaws.com/v1alpha1",
          kind: "ENIConfig",
          metadata: { name: `us-east-1${zone}` },
          spec: { subnet: ref("spec", `pods-${zone}`) },
        }));
      }
      eksCluster(b, vpc, "eks", undefined, "172.20.0.0/16");
    }),
    verdict: [],
  },
  {
    name: "pulumi-eks-defaults",
    description:
      "pulumi-eks eks.Cluster with its defaults: the default VPC's subnets by id, a self-managed node group",
    build: stack((b) => {
      const component = b.add(t.eksComponent, "cluster", () => ({}));
      const subnetIds = ["subnet-0a1b2c3d", "subnet-1a2b3c4d", "subnet-2a3b4c5d"];
      b.add(
        t.eksCluster,
        "cluster-eksCluster",
        () => ({
          vpcConfig: { subnetIds, endpointPublicAccess: true },
          ...(b.mode === "update"
            ? { kubernetesNetworkConfig: { ipFamily: "ipv4", serviceIpv4Cidr: "10.100.0.0/16" } }
            : {}),
        }),
        component,
      );
      b.add(
        t.securityGroup,
        "cluster-nodeSecurityGroup",
        () => ({ vpcId: "vpc-0123456789abcdef0" }),
        component,
      );
      b.add(
        t.launchTemplate,
        "cluster-launchTemplate",
        (ref) => ({
          vpcSecurityGroupIds: [ref("vpcSecurityGroupIds", "cluster-nodeSecurityGroup")],
          userData: Buffer.from("#!/bin/bash\n/etc/eks/bootstrap.sh cluster\n").toString("base64"),
        }),
        component,
      );
      b.add(
        t.asg,
        "cluster",
        (ref) => ({
          minSize: 1,
          maxSize: 2,
          vpcZoneIdentifiers: subnetIds,
          launchTemplate: { id: ref("launchTemplate", "cluster-launchTemplate") },
          tags: [{ key: "kubernetes.io/cluster/cluster", value: "owned", propagateAtLaunch: true }],
        }),
        component,
      );
    }),
    verdict: [],
  },
  {
    name: "tigera-operator-over-awsx-on-eks",
    description:
      "tigera-operator Helm release with default values over an awsx VPC on EKS (Calico network policy on the VPC CNI)",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      eksCluster(b, vpc, "eks", undefined, "172.20.0.0/16");
      tigeraOperator(b, { kubernetesProvider: "" });
    }),
    verdict: [],
  },
  {
    name: "tigera-operator-default-pool-self-managed",
    description:
      "tigera-operator Helm release without ipPools over an awsx VPC, self-managed 110-pod nodes: the operator's /26 default pool",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      selfManagedNodes(b, vpc, { maxPods: 110 });
      tigeraOperator(b, {});
    }),
    verdict: [["pod-block-fits-node", "block-too-small-for-pods"]],
  },
  {
    name: "self-managed-calico-on-awsx",
    description:
      "self-managed Calico (raw IPPool, IPIP CrossSubnet, /25) on an awsx VPC's private subnets",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      selfManagedNodes(b, vpc);
      calicoPool(b, { cidr: "100.64.0.0/16", blockSize: 25, ipipMode: "CrossSubnet" });
    }),
    verdict: [],
  },
  {
    name: "self-managed-calico-unencapsulated-on-awsx",
    description:
      "self-managed Calico without encapsulation on an awsx VPC's private subnets (one per AZ): found in the preview too",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      selfManagedNodes(b, vpc);
      calicoPool(b, {
        cidr: "100.64.0.0/16",
        blockSize: 25,
        ipipMode: "Never",
        vxlanMode: "Never",
      });
    }),
    verdict: [["cross-subnet-encapsulation", "encapsulation-required"]],
    messageIncludes: { preview: "inferred", update: "nodes span 3 subnets" },
  },
  {
    name: "self-managed-calico-in-default-service-range",
    description:
      "self-managed Calico whose awsx VPC lies inside kubeadm's default service range 10.96.0.0/12",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.100.0.0/16");
      selfManagedNodes(b, vpc);
      calicoPool(b, { cidr: "100.64.0.0/16", blockSize: 25, ipipMode: "CrossSubnet" });
    }),
    verdict: [["no-cidr-overlap", "cidr-overlap"]],
  },
  {
    name: "self-managed-calico-ports-closed",
    description:
      "self-managed Calico IPIP on awsx subnets whose node security group admits only SSH",
    build: stack((b) => {
      const vpc = awsxVpc(b, "vpc", "10.0.0.0/16");
      selfManagedNodes(b, vpc, { openSecurityGroup: false });
      calicoPool(b, { cidr: "100.64.0.0/16", blockSize: 25, ipipMode: "Always" });
    }),
    verdict: [["calico-ports-open", "calico-ports-closed"]],
  },
];
