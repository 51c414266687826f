/**
 * Resource sets for the policy pack tests, as the engine hands them to a pack:
 * built from an example stack's address plan in the shapes our program declares
 * (VPC, a private and a public subnet per AZ, master and node security groups
 * with Calico's rules, a launch template and Auto Scaling group per node group,
 * the tigera-operator Helm release), in preview mode (ids unknown, relations only
 * through property dependencies) or update mode (ids known, no dependencies).
 */
import {
  type Policy,
  type PolicyResource,
  type ReportViolation,
  unknownCheckingProxy,
} from "@pulumi/policy";
import type { AddressPlan } from "../../lib/plan/addressPlan";
import { tigeraOperatorValues } from "../../lib/calicoValues";
import { calicoDefaults } from "../../lib/config/schema";
import { type AnalyzerResourceInput, unknownSentinel } from "../../lib/analyzer/client";
import { maxPodsTagKey as maxPodsTag } from "../../policy/rules/wellKnown";

export type Mode = "preview" | "update";

export const project = "calico-cluster";
export const stack = "policy-test";

export function urnOf(type: string, name: string): string {
  return `urn:pulumi:${stack}::${project}::${type}::${name}`;
}

export const types = {
  vpc: "aws:ec2/vpc:Vpc",
  subnet: "aws:ec2/subnet:Subnet",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
  launchTemplate: "aws:ec2/launchTemplate:LaunchTemplate",
  autoScalingGroup: "aws:autoscaling/group:Group",
  release: "kubernetes:helm.sh/v3:Release",
  ipPool: "kubernetes:crd.projectcalico.org/v1:IPPool",
} as const;

type Props = Record<string, unknown>;
/**
 * Returns the id a property holds for `target` (a logical name or a URN; unknown in
 * preview) and records the relation.
 */
export type Ref = (property: string, target: string) => string;

/** Builds resources in order; a reference names an earlier resource by logical name. */
export class StackBuilder {
  readonly resources: AnalyzerResourceInput[] = [];

  /**
   * `nestUrns`: children's URNs carry their parents' types (`parentType$type`), as
   * the engine writes them; default false (flat URNs, as `urnOf` builds them).
   */
  constructor(
    readonly mode: Mode,
    readonly nestUrns = false,
  ) {}

  /** Adds a resource; `parent` names an earlier resource (a component, a v4 Chart). */
  add(type: string, name: string, build: (ref: Ref) => Props, parent?: string): string {
    const parentType =
      this.nestUrns && parent !== undefined ? this.byName(parent).urn.split("::")[2] : undefined;
    const urn = urnOf(parentType === undefined ? type : `${parentType}$${type}`, name);
    const propertyDependencies: Record<string, string[]> = {};
    const ref: Ref = (property, target) => {
      const resource = this.byName(target);
      (propertyDependencies[property] ??= []).push(resource.urn);
      return this.mode === "preview" ? unknownSentinel : `${resource.name}-id`;
    };
    const properties = build(ref);
    const dependencies = [...new Set(Object.values(propertyDependencies).flat())];
    this.resources.push({
      type,
      urn,
      name,
      properties: this.mode === "update" ? { ...properties, id: `${name}-id` } : properties,
      ...(parent === undefined ? {} : { parent: this.byName(parent).urn }),
      ...(this.mode === "preview" ? { propertyDependencies, dependencies } : {}),
    });
    return urn;
  }

  byName(name: string): AnalyzerResourceInput {
    const found = this.resources.find(
      (resource) => resource.name === name || resource.urn === name,
    );
    if (!found) throw new Error(`fixture: no resource named ${name}`);
    return found;
  }
}

/**
 * The tigera-operator values the program declares for `plan`, from the program's
 * own builder so the fixture cannot drift from it (default Calico settings).
 */
export function tigeraValues(plan: AddressPlan): Props {
  const calico = { ...calicoDefaults, mtu: calicoDefaults.hostMtu - 20 };
  return { ...tigeraOperatorValues(plan, { serviceCidr: plan.serviceCidr, calico }) };
}

/** Groups of the plan and the security group their nodes carry. */
function groupRole(group: AddressPlan["nodeGroups"][number]): "master" | "node" {
  return group.role === "master" ? "master" : "node";
}

/** Everything our program declares that the pack reads, for `plan`. */
export function programResources(plan: AddressPlan, mode: Mode): AnalyzerResourceInput[] {
  const b = new StackBuilder(mode);
  b.add(types.vpc, "vpc", () => ({ cidrBlock: plan.vpcCidr, enableDnsHostnames: true }));
  for (const zone of plan.availabilityZones) {
    for (const subnet of [zone.privateSubnet, zone.publicSubnet]) {
      b.add(types.subnet, `${zone.name}-${subnet.role}`, (ref) => ({
        vpcId: ref("vpcId", "vpc"),
        cidrBlock: subnet.cidr,
        availabilityZone: zone.name,
      }));
    }
  }
  for (const role of ["master", "node"]) {
    // As the program tags them: each node carries exactly one group tagged for the cluster.
    b.add(types.securityGroup, role, (ref) => ({
      vpcId: ref("vpcId", "vpc"),
      namePrefix: role,
      tags: { Name: role, [`kubernetes.io/cluster/${plan.clusterName}`]: "owned" },
    }));
  }
  for (const group of ["master", "node"]) {
    for (const source of ["master", "node"]) {
      for (const [rule, protocol, port] of [
        ["ipip", "4", undefined],
        ["bgp", "tcp", 179],
      ] as const) {
        b.add(types.ingressRule, `${group}-from-${source}-${rule}`, (ref) => ({
          securityGroupId: ref("securityGroupId", group),
          referencedSecurityGroupId: ref("referencedSecurityGroupId", source),
          ipProtocol: protocol,
          ...(port === undefined ? {} : { fromPort: port, toPort: port }),
        }));
      }
    }
  }
  for (const group of plan.nodeGroups) {
    b.add(types.launchTemplate, group.name, (ref) => ({
      imageId:
        "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
      networkInterfaces: [
        { deviceIndex: 0, securityGroups: [ref("networkInterfaces", groupRole(group))] },
      ],
    }));
    b.add(types.autoScalingGroup, group.name, (ref) => ({
      minSize: group.minSize,
      maxSize: group.maxSize,
      vpcZoneIdentifiers: group.availabilityZones.map((zone) =>
        ref("vpcZoneIdentifiers", `${zone}-private`),
      ),
      launchTemplate: { id: ref("launchTemplate", group.name), version: unknownSentinel },
      tags: [
        { key: "Name", value: `${plan.clusterName}-${group.name}`, propagateAtLaunch: false },
        { key: maxPodsTag, value: String(group.maxPods), propagateAtLaunch: false },
      ],
    }));
  }
  b.add(types.release, "calico-crds", () => ({
    chart: "crd.projectcalico.org.v1",
    version: "v3.32.1",
    repositoryOpts: { repo: "https://docs.tigera.io/calico/charts" },
  }));
  b.add(types.release, "calico", () => ({
    chart: "tigera-operator",
    version: "v3.32.1",
    namespace: "tigera-operator",
    repositoryOpts: { repo: "https://docs.tigera.io/calico/charts" },
    values: tigeraValues(plan),
  }));
  return b.resources;
}

/** A copy of `resources` with one resource's properties changed. */
export function withProperties(
  resources: readonly AnalyzerResourceInput[],
  name: string,
  change: (properties: Props) => Props,
  type?: string,
): AnalyzerResourceInput[] {
  let found = false;
  const result = resources.map((resource) => {
    if (resource.name !== name || (type !== undefined && resource.type !== type)) return resource;
    found = true;
    return { ...resource, properties: change(structuredClone(resource.properties)) };
  });
  if (!found) throw new Error(`fixture: no resource named ${name}`);
  return result;
}

/** A copy of `resources` without those whose name matches. */
export function without(
  resources: readonly AnalyzerResourceInput[],
  match: (resource: AnalyzerResourceInput) => boolean,
): AnalyzerResourceInput[] {
  return resources.filter((resource) => !match(resource));
}

function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") {
    return unwrapSecrets(record.value);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

/**
 * The resources as a stack policy receives them from @pulumi/policy's server:
 * secrets unwrapped, properties behind the proxy that throws on unknowns, and
 * dependencies as resource objects (those outside the stack dropped).
 */
export function asPolicyResources(inputs: readonly AnalyzerResourceInput[]): PolicyResource[] {
  const resources: PolicyResource[] = inputs.map((input) => ({
    type: input.type,
    urn: input.urn,
    name: input.name,
    props: unknownCheckingProxy(unwrapSecrets(input.properties) as Record<string, unknown>),
    opts: {
      protect: false,
      ignoreChanges: [],
      aliases: [],
      customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
      additionalSecretOutputs: [],
    },
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
  }));
  const byUrn = new Map(resources.map((resource) => [resource.urn, resource]));
  const resolve = (urns: readonly string[]) =>
    urns.map((urn) => byUrn.get(urn)).filter((r): r is PolicyResource => r !== undefined);
  inputs.forEach((input, index) => {
    const parent = input.parent ? byUrn.get(input.parent) : undefined;
    if (parent) resources[index].parent = parent;
    resources[index].dependencies = resolve(input.dependencies ?? []);
    for (const [key, urns] of Object.entries(input.propertyDependencies ?? {})) {
      resources[index].propertyDependencies[key] = resolve(urns);
    }
  });
  return resources;
}

/**
 * Runs one policy on the resources as @pulumi/policy's server does: a stack
 * policy once on all of them (AnalyzeStack), a resource policy on each (Analyze).
 */
export async function runPolicy(
  policy: Policy,
  inputs: readonly AnalyzerResourceInput[],
  config: object,
  reportViolation: ReportViolation,
): Promise<void> {
  const common = {
    getConfig: <T extends object>() => config as T,
    stackTags: new Map<string, string>(),
    notApplicable: (reason?: string): never => {
      throw new Error(`notApplicable: ${reason}`);
    },
  };
  const resources = asPolicyResources(inputs);
  if ("validateStack" in policy && typeof policy.validateStack === "function") {
    await policy.validateStack({ ...common, resources }, reportViolation);
  }
  if ("validateResource" in policy && policy.validateResource !== undefined) {
    const validations = Array.isArray(policy.validateResource)
      ? policy.validateResource
      : [policy.validateResource];
    for (const resource of resources) {
      for (const validate of validations) {
        await validate({ ...common, ...resource }, reportViolation);
      }
    }
  }
}

/** The resources with the first pool of the `calico` release's values changed. */
export function withPool(
  resources: readonly AnalyzerResourceInput[],
  change: Record<string, unknown>,
): AnalyzerResourceInput[] {
  return withProperties(resources, "calico", (props) => {
    const values = props.values as {
      installation: { calicoNetwork: { ipPools: Record<string, unknown>[] } };
    };
    Object.assign(values.installation.calicoNetwork.ipPools[0], change);
    return props;
  });
}
