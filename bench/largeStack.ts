/**
 * Generated large stacks for the pack's scale bench: a shared network stack of
 * many cells, each a VPC with four subnets, a launch template and an Auto Scaling
 * group whose nodes carry one shared node security group (self-referencing IPIP
 * and BGP rules), under one Calico pool whose nodes peer with route reflectors
 * instead of the full mesh. Every reference is written the way the
 * engine sends it: ids after an update, unknowns plus property dependencies in a
 * preview. The stack is clean: the pack must report nothing on it.
 */
import { type AnalyzerResourceInput, unknownSentinel } from "../lib/analyzer/client";
import { awsTypes } from "../policy/extract/aws";
import { calicoTypes } from "../policy/extract/calico";
import { calicoBgpTypes } from "../policy/extract/calicoRouting";
import { maxPodsTagKey } from "../policy/rules/wellKnown";

export type StackMode = "preview" | "update";

const project = "bench";
const stack = "large";
// The type tokens the pack matches, from the pack itself.
const types = {
  ...awsTypes,
  release: calicoTypes.helmRelease,
  bgpPeer: calicoBgpTypes.bgpPeerCrd,
  bgpConfiguration: calicoBgpTypes.bgpConfigurationCrd,
} as const;

/** Resources per cell; the shared part adds six. */
export const resourcesPerCell = 7;

/** A clean stack of about `size` resources in `mode` form. */
export function largeStack(size: number, mode: StackMode): AnalyzerResourceInput[] {
  const resources: AnalyzerResourceInput[] = [];
  const add = (
    type: string,
    name: string,
    properties: Record<string, unknown>,
    refs: Record<string, readonly string[]> = {},
  ): string => {
    const urn = `urn:pulumi:${stack}::${project}::${type}::${name}`;
    const props = { ...properties };
    const propertyDependencies: Record<string, string[]> = {};
    for (const [key, targets] of Object.entries(refs)) {
      propertyDependencies[key] = targets.map((target) => target.split("|")[0]);
    }
    resources.push({
      type,
      urn,
      name,
      properties: mode === "update" ? { ...props, id: `${name}-id` } : props,
      ...(mode === "preview"
        ? {
            propertyDependencies,
            dependencies: [...new Set(Object.values(propertyDependencies).flat())],
          }
        : {}),
    });
    return `${urn}|${name}-id`;
  };
  /** The id a reference property holds: known after an update, unknown in a preview. */
  const id = (ref: string) => (mode === "update" ? ref.split("|")[1] : unknownSentinel);

  const sharedVpc = add(types.vpc, "shared", { cidrBlock: "10.255.0.0/16" });
  const nodes = add(types.securityGroup, "nodes", { vpcId: id(sharedVpc) }, { vpcId: [sharedVpc] });
  for (const [rule, protocol, port] of [
    ["ipip", "4", undefined],
    ["bgp", "tcp", 179],
  ] as const) {
    add(
      types.ingressRule,
      `nodes-${rule}`,
      {
        securityGroupId: id(nodes),
        referencedSecurityGroupId: id(nodes),
        ipProtocol: protocol,
        ...(port === undefined ? {} : { fromPort: port, toPort: port }),
      },
      { securityGroupId: [nodes], referencedSecurityGroupId: [nodes] },
    );
  }
  const cells = Math.max(1, Math.round((size - 6) / resourcesPerCell));
  for (let cell = 0; cell < cells; cell++) {
    // 10.0.0.0/24 .. 10.15.255.0/24: below the default service range at 10.96.0.0/12.
    const base = `10.${cell >> 8}.${cell & 255}`;
    const vpc = add(types.vpc, `cell-${cell}`, { cidrBlock: `${base}.0/24` });
    const subnets = [0, 1, 2, 3].map((index) =>
      add(
        types.subnet,
        `cell-${cell}-${index}`,
        {
          vpcId: id(vpc),
          cidrBlock: `${base}.${index * 64}/26`,
          availabilityZone: `eu-west-1${"abcd"[index]}`,
        },
        { vpcId: [vpc] },
      ),
    );
    const template = add(
      types.launchTemplate,
      `cell-${cell}`,
      { vpcSecurityGroupIds: [id(nodes)] },
      { vpcSecurityGroupIds: [nodes] },
    );
    add(
      types.autoScalingGroup,
      `cell-${cell}`,
      {
        minSize: 1,
        maxSize: 3,
        vpcZoneIdentifiers: subnets.slice(0, 3).map(id),
        launchTemplate: { id: id(template), version: "$Latest" },
        tags: [{ key: maxPodsTagKey, value: "110" }],
      },
      { vpcZoneIdentifiers: subnets.slice(0, 3), launchTemplate: [template] },
    );
  }
  add(types.release, "calico", {
    chart: "tigera-operator",
    values: {
      installation: {
        calicoNetwork: {
          ipPools: [{ cidr: "100.64.0.0/10", blockSize: 25, encapsulation: "IPIPCrossSubnet" }],
        },
      },
    },
  });
  // Far past the full mesh's 100 nodes: route reflectors carry the routes, the mesh is off.
  add(types.bgpPeer, "route-reflectors", {
    metadata: { name: "peer-with-route-reflectors" },
    spec: { nodeSelector: "all()", peerSelector: "has(route-reflector)" },
  });
  add(types.bgpConfiguration, "default", {
    metadata: { name: "default" },
    spec: { nodeToNodeMeshEnabled: false, asNumber: 64512 },
  });
  return resources;
}
