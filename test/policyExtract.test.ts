/**
 * Fact extraction: resources found by type token, related by id or by property
 * dependency, Calico's defaults applied where a field is left out, and unknown
 * values turned into unknown facts rather than exceptions.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { unknownCheckingProxy } from "@pulumi/policy";
import fc from "fast-check";
import { type AnalyzerResourceInput, secretValue, unknownSentinel } from "../lib/analyzer/client";
import { awsTypes } from "../policy/extract/aws";
import { maxPodsTagKey as maxPodsTag } from "../policy/rules/wellKnown";
import { calicoTypes, isTigeraOperatorChart } from "../policy/extract/calico";
import { eksDefaultServiceCidr } from "../policy/extract/eks";
import { configSubjects, defaultSettings, extractFacts } from "../policy/extract/index";
import { ResourceGraph } from "../policy/extract/resources";
import { asNumber, at, toValue, unknown } from "../policy/extract/values";
import { checkNetwork } from "../policy/rules/index";
import { checkCalicoPorts } from "../policy/rules/nodeAccess";
import { type Mode, StackBuilder, asPolicyResources, urnOf } from "./support/policyResources";

const facts = (inputs: readonly AnalyzerResourceInput[], settings = defaultSettings) =>
  extractFacts(asPolicyResources(inputs), settings);

type Props = Record<string, unknown>;

/** A stack with one resource of `type` holding `props`. */
function single(type: string, props: Props, name = "it"): AnalyzerResourceInput[] {
  const b = new StackBuilder("preview");
  b.add(type, name, () => props);
  return b.resources;
}

describe("values", () => {
  it("reads unknowns, secrets and nulls without throwing, through the policy proxy too", () => {
    const raw = {
      a: unknownSentinel,
      b: secretValue({ c: 3 }),
      d: null,
      e: ["x", "3eeb2bf0-c639-47a8-9e75-3b44932eb421"],
    };
    for (const input of [raw, unknownCheckingProxy(raw)]) {
      const value = toValue(input);
      assert.equal(at(value, "a"), unknown);
      assert.equal(at(value, "b", "c"), 3);
      assert.equal(at(value, "d"), undefined);
      assert.equal(at(value, "e", 1), unknown);
      assert.equal(at(value, "a", "deeper"), unknown);
    }
    assert.equal(asNumber("110"), 110);
    assert.equal(asNumber("1e3"), undefined);
  });
});

describe("VPCs and subnets", () => {
  function twoSubnets(mode: Mode): AnalyzerResourceInput[] {
    const b = new StackBuilder(mode);
    b.add(awsTypes.vpc, "main", () => ({ cidrBlock: "10.0.0.0/16" }));
    for (const name of ["a", "b"]) {
      b.add(awsTypes.subnet, name, (ref) => ({
        vpcId: ref("vpcId", "main"),
        cidrBlock: name === "a" ? "10.0.0.0/24" : "10.0.1.0/24",
        availabilityZone: `eu-west-1${name}`,
      }));
    }
    return b.resources;
  }

  for (const mode of ["preview", "update"] as const) {
    it(`relates subnets to their VPC (${mode})`, () => {
      const { subnets, vpcRanges } = facts(twoSubnets(mode));
      assert.deepEqual(
        vpcRanges.map((range) => [range.vpc, range.cidr]),
        [[urnOf(awsTypes.vpc, "main"), "10.0.0.0/16"]],
      );
      assert.deepEqual(
        subnets.map((subnet) => [subnet.label, subnet.vpc, subnet.availabilityZone]),
        [
          ["a", urnOf(awsTypes.vpc, "main"), "eu-west-1a"],
          ["b", urnOf(awsTypes.vpc, "main"), "eu-west-1b"],
        ],
      );
    });
  }

  it("falls back to plain dependencies when the engine sends no property dependencies", () => {
    const inputs = twoSubnets("preview").map((r) => ({ ...r, propertyDependencies: undefined }));
    assert.ok(facts(inputs).subnets.every((s) => s.vpc === urnOf(awsTypes.vpc, "main")));
  });

  it("keys subnets of a VPC outside the stack by its id, and leaves unknown ones open", () => {
    const b = new StackBuilder("preview");
    b.add(awsTypes.subnet, "a", () => ({ vpcId: "vpc-0abc", cidrBlock: "10.0.0.0/24" }));
    b.add(awsTypes.subnet, "b", () => ({ vpcId: "vpc-0abc", cidrBlock: "10.0.0.0/25" }));
    b.add(awsTypes.subnet, "c", () => ({ vpcId: unknownSentinel, cidrBlock: "10.9.0.0/24" }));
    const { subnets } = facts(b.resources);
    assert.deepEqual(
      subnets.map((s) => s.vpc),
      ["vpc-0abc", "vpc-0abc", undefined],
    );
    const codes = checkNetwork(facts(b.resources)).map((f) => f.code);
    assert.deepEqual(codes, ["subnet-overlap"]);
  });

  it("counts a secondary CIDR as the VPC's, and stops guessing when its VPC is unknown", () => {
    const b = new StackBuilder("preview");
    b.add(awsTypes.vpc, "main", () => ({ cidrBlock: "10.0.0.0/16" }));
    b.add(awsTypes.vpcCidrAssociation, "extra", (ref) => ({
      vpcId: ref("vpcId", "main"),
      cidrBlock: "10.1.0.0/16",
    }));
    b.add(awsTypes.subnet, "in-extra", (ref) => ({
      vpcId: ref("vpcId", "main"),
      cidrBlock: "10.1.0.0/24",
    }));
    const related = facts(b.resources);
    assert.equal(related.vpcRanges[1].vpc, urnOf(awsTypes.vpc, "main"));
    assert.deepEqual(checkNetwork(related), []);

    const unrelated = b.resources.map((r) =>
      r.name === "extra" ? { ...r, propertyDependencies: { vpcId: [] }, dependencies: [] } : r,
    );
    const loose = facts(unrelated);
    assert.ok(
      loose.vpcRanges.some((r) => r.vpc === urnOf(awsTypes.vpc, "main") && r.cidr === undefined),
    );
    assert.deepEqual(checkNetwork(loose), []);
  });
});

describe("Auto Scaling groups", () => {
  function group(mode: Mode, props: (ref: (p: string, t: string) => string) => Props) {
    const b = new StackBuilder(mode);
    b.add(awsTypes.subnet, "a", () => ({ cidrBlock: "10.0.0.0/24" }));
    b.add(awsTypes.subnet, "b", () => ({ cidrBlock: "10.0.1.0/24" }));
    b.add(awsTypes.securityGroup, "nodes", () => ({}));
    b.add(awsTypes.launchTemplate, "lt", (ref) => ({
      name: "nodes-lt",
      vpcSecurityGroupIds: [ref("vpcSecurityGroupIds", "nodes")],
    }));
    b.add(awsTypes.autoScalingGroup, "workers", props);
    return facts(b.resources).nodeGroups[0];
  }
  const subnetsOf = (ref: (p: string, t: string) => string) => [
    ref("vpcZoneIdentifiers", "a"),
    ref("vpcZoneIdentifiers", "b"),
  ];

  for (const mode of ["preview", "update"] as const) {
    it(`reads size, pods tag, subnets and security groups (${mode})`, () => {
      const fact = group(mode, (ref) => ({
        maxSize: 7,
        vpcZoneIdentifiers: subnetsOf(ref),
        launchTemplate: { id: ref("launchTemplate", "lt"), version: "$Latest" },
        tags: [{ key: maxPodsTag, value: "64", propagateAtLaunch: false }],
      }));
      assert.equal(fact.maxSize, 7);
      assert.equal(fact.maxPods, 64);
      assert.deepEqual(fact.subnets, [urnOf(awsTypes.subnet, "a"), urnOf(awsTypes.subnet, "b")]);
      assert.deepEqual(fact.securityGroups, [urnOf(awsTypes.securityGroup, "nodes")]);
    });
  }

  it("finds a launch template by name and through a mixed instances policy", () => {
    const byName = group("update", () => ({ launchTemplate: { name: "nodes-lt" } }));
    assert.deepEqual(byName.securityGroups, [urnOf(awsTypes.securityGroup, "nodes")]);
    const mixed = group("preview", (ref) => ({
      mixedInstancesPolicy: {
        launchTemplate: {
          launchTemplateSpecification: { launchTemplateId: ref("mixedInstancesPolicy", "lt") },
        },
      },
    }));
    assert.deepEqual(mixed.securityGroups, [urnOf(awsTypes.securityGroup, "nodes")]);
  });

  it("takes the default maxPods without the tag and leaves unreadable tags unknown", () => {
    assert.equal(group("preview", () => ({ tags: [] })).maxPods, defaultSettings.defaultMaxPods);
    assert.equal(group("preview", () => ({})).maxPods, defaultSettings.defaultMaxPods);
    assert.equal(group("preview", () => ({ tags: unknownSentinel })).maxPods, undefined);
    const unknownKey = [{ key: unknownSentinel, value: "10", propagateAtLaunch: true }];
    assert.equal(group("preview", () => ({ tags: unknownKey })).maxPods, undefined);
    const badValue = [{ key: maxPodsTag, value: "lots", propagateAtLaunch: true }];
    assert.equal(group("preview", () => ({ tags: badValue })).maxPods, undefined);
  });

  it("keeps subnets outside the stack and leaves unrelatable ones unknown", () => {
    const external = group("preview", () => ({ vpcZoneIdentifiers: ["subnet-1", "subnet-2"] }));
    assert.deepEqual(external.subnets, ["subnet-1", "subnet-2"]);
    const open = group("preview", () => ({ vpcZoneIdentifiers: [unknownSentinel] }));
    assert.equal(open.subnets, undefined);
    assert.equal(group("preview", () => ({})).subnets, undefined);
  });

  it("has no security groups it can name without a resolvable launch template", () => {
    assert.equal(group("preview", () => ({})).securityGroups, undefined);
    const elsewhere = group("update", () => ({ launchTemplate: { id: "lt-0123" } }));
    assert.equal(elsewhere.securityGroups, undefined);
  });
});

describe("Calico pools", () => {
  it("recognises the tigera-operator chart however it is referenced", () => {
    for (const chart of [
      "tigera-operator",
      "projectcalico/tigera-operator",
      "oci://registry.example.com/charts/tigera-operator",
      "./charts/tigera-operator-v3.32.1.tgz",
    ]) {
      assert.ok(isTigeraOperatorChart(chart), chart);
    }
    for (const chart of ["crd.projectcalico.org.v1", "calico", "tigera-operator-crds"]) {
      assert.ok(!isTigeraOperatorChart(chart), chart);
    }
  });

  it("reads pools and service CIDRs from Helm values, v3 Release and v4 Chart", () => {
    const values = {
      installation: {
        calicoNetwork: {
          ipPools: [{ cidr: "100.64.0.0/16", blockSize: 25, encapsulation: "IPIPCrossSubnet" }],
        },
        serviceCIDRs: ["10.96.0.0/16"],
      },
    };
    for (const type of [calicoTypes.helmRelease, calicoTypes.helmChart]) {
      const found = facts(single(type, { chart: "tigera-operator", values }, "calico"));
      assert.deepEqual(
        found.podPools.map((p) => [p.label, p.cidr, p.blockSize, p.encapsulation, p.nodeSelector]),
        [["calico ipPools[0]", "100.64.0.0/16", 25, "IPIPCrossSubnet", "all()"]],
      );
      assert.deepEqual(
        found.serviceRanges.map((r) => r.cidr),
        ["10.96.0.0/16"],
      );
    }
  });

  it("applies the operator's defaults where the values leave fields out", () => {
    const release = (installation: Props) =>
      facts(
        single(calicoTypes.helmRelease, { chart: "tigera-operator", values: { installation } }),
      );
    // tigera/operator pkg/controller/ippool/defaults.go: IPv6 pools default to no
    // encapsulation and /122; IPv4 pools to IPIP under Calico CNI, whatever `bgp` says.
    const [pool] = release({ calicoNetwork: { ipPools: [{ cidr: "fd00::/48" }] } }).podPools;
    assert.deepEqual([pool.blockSize, pool.encapsulation], [122, "None"]);
    const [bgpOff] = release({
      calicoNetwork: { bgp: "Disabled", ipPools: [{ cidr: "100.64.0.0/16" }] },
    }).podPools;
    assert.deepEqual([bgpOff.blockSize, bgpOff.encapsulation], [26, "IPIP"]);
    assert.deepEqual(release({ enabled: false }).podPools, []);
    // Another CNI (the VPC CNI on EKS) leaves Calico's pools unused.
    assert.deepEqual(
      release({
        cni: { type: "AmazonVPC" },
        calicoNetwork: { ipPools: [{ cidr: "100.64.0.0/16" }] },
      }).podPools,
      [],
    );
  });

  it("adds the operator's default pool only where it knows the CNI is Calico", () => {
    const stack = (installation: Props, extra: (b: StackBuilder) => void = () => undefined) => {
      const b = new StackBuilder("update");
      extra(b);
      b.add(calicoTypes.helmRelease, "calico", () => ({
        chart: "tigera-operator",
        values: { installation },
      }));
      return facts(b.resources).podPools.map((p) => [p.cidr, p.blockSize, p.encapsulation]);
    };
    const nodes = (userData?: string) => (b: StackBuilder) => {
      b.add(awsTypes.launchTemplate, "nodes", () => (userData ? { userData } : {}));
      b.add(awsTypes.autoScalingGroup, "nodes", (ref) => ({
        maxSize: 3,
        launchTemplate: { id: ref("launchTemplate", "nodes") },
        tags: [{ key: "kubernetes.io/cluster/demo", value: "owned" }],
      }));
    };
    // Where the cluster runs is not in the stack: the operator detects it, the pack cannot.
    assert.deepEqual(stack({}), []);
    // Self-managed nodes: kubeadm's podSubnet from their user data (base64 in a launch template), else 192.168.0.0/16.
    const kubeadm = Buffer.from(
      "#cloud-config\nwrite_files:\n- content: |\n    networking:\n      podSubnet: 100.96.0.0/16\nruncmd: [kubeadm init]\n",
    ).toString("base64");
    assert.deepEqual(stack({}, nodes(kubeadm)), [["100.96.0.0/16", 26, "IPIP"]]);
    // gzip'd, as this program and many others ship it (cloud-init inflates it).
    const gzipped = gzipSync(
      "#cloud-config\nwrite_files:\n- content: |\n    networking:\n      podSubnet: 100.97.0.0/16\nruncmd: [kubeadm init]\n",
    ).toString("base64");
    assert.deepEqual(stack({}, nodes(gzipped)), [["100.97.0.0/16", 26, "IPIP"]]);
    // A MIME part in base64 holding a kubeadm config file written with b64 encoding.
    const config = Buffer.from("networking:\n  podSubnet: 100.98.0.0/16\n").toString("base64");
    const mime = [
      'Content-Type: multipart/mixed; boundary="b"',
      "",
      "--b",
      "Content-Type: text/cloud-config",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from(
        `#cloud-config\nwrite_files:\n- path: /etc/kubeadm.yaml\n  encoding: b64\n  content: ${config}\nruncmd: [kubeadm init --config /etc/kubeadm.yaml]\n`,
      ).toString("base64"),
      "--b--",
      "",
    ].join("\n");
    assert.deepEqual(stack({}, nodes(Buffer.from(mime).toString("base64"))), [
      ["100.98.0.0/16", 26, "IPIP"],
    ]);
    assert.deepEqual(
      stack({}, nodes("#!/bin/sh\nkubeadm init --pod-network-cidr=10.244.0.0/16\n")),
      [["10.244.0.0/16", 26, "IPIP"]],
    );
    assert.deepEqual(stack({}, nodes()), [["192.168.0.0/16", 26, "IPIP"]]);
    assert.deepEqual(stack({ calicoNetwork: { ipPools: [] } }, nodes()), []);
    // EKS: the VPC CNI by default; with Calico CNI, the operator's EKS pool.
    const eks = (b: StackBuilder) => b.add("aws:eks/cluster:Cluster", "eks", () => ({}));
    assert.deepEqual(stack({}, eks), []);
    assert.deepEqual(stack({ cni: { type: "Calico" } }, eks), [["172.16.0.0/16", 26, "VXLAN"]]);
  });

  it("reads a v4 Chart's rendered Installation instead of its values", () => {
    const b = new StackBuilder("preview");
    const pool = { cidr: "100.64.0.0/16", blockSize: 25, encapsulation: "IPIPCrossSubnet" };
    const installation = { calicoNetwork: { ipPools: [pool] } };
    b.add(calicoTypes.helmChart, "calico", () => ({
      chart: "tigera-operator",
      values: { installation },
    }));
    b.add(calicoTypes.installation, "calico:default", () => ({ spec: installation }), "calico");
    const found = facts(b.resources);
    assert.deepEqual(
      found.podPools.map((p) => p.subject),
      [urnOf(calicoTypes.installation, "calico:default")],
    );
    assert.deepEqual(checkNetwork(found), []);
  });

  it("ignores other charts and values it cannot read", () => {
    assert.deepEqual(
      facts(single(calicoTypes.helmRelease, { chart: "crd.projectcalico.org.v1" })).podPools,
      [],
    );
    const withFiles = { chart: "tigera-operator", valueYamlFiles: [{ path: "values.yaml" }] };
    assert.deepEqual(facts(single(calicoTypes.helmRelease, withFiles)).podPools, []);
    const unknownValues = { chart: "tigera-operator", values: unknownSentinel };
    assert.deepEqual(facts(single(calicoTypes.helmRelease, unknownValues)).podPools, []);
  });

  it("reads an operator Installation", () => {
    const spec = {
      calicoNetwork: {
        ipPools: [{ cidr: "100.64.0.0/16", encapsulation: "None", name: "default" }],
      },
      serviceCIDRs: [unknownSentinel],
    };
    const found = facts(single(calicoTypes.installation, { spec }, "default"));
    assert.deepEqual(
      found.podPools.map((p) => [p.label, p.encapsulation]),
      [['default ipPools[0] "default"', "None"]],
    );
    assert.deepEqual(
      found.serviceRanges.map((r) => r.cidr),
      [undefined],
    );
  });

  it("maps raw IPPool modes to one encapsulation in both API groups", () => {
    const cases: [Props, string | undefined][] = [
      [{}, "None"],
      [{ ipipMode: "Always" }, "IPIP"],
      [{ ipipMode: "CrossSubnet" }, "IPIPCrossSubnet"],
      [{ vxlanMode: "Always" }, "VXLAN"],
      [{ ipipMode: "Never", vxlanMode: "CrossSubnet" }, "VXLANCrossSubnet"],
      [{ ipip: { enabled: true, mode: "cross-subnet" } }, "IPIPCrossSubnet"],
      [{ ipipMode: unknownSentinel }, undefined],
      [{ ipipMode: "Sometimes" }, undefined],
    ];
    for (const type of [calicoTypes.ipPoolCrd, calicoTypes.ipPool]) {
      for (const [modes, expected] of cases) {
        const [pool] = facts(single(type, { spec: { cidr: "100.64.0.0/16", ...modes } })).podPools;
        assert.equal(pool.encapsulation, expected, `${type} ${JSON.stringify(modes)}`);
      }
    }
  });

  it("leaves a disabled pool out of the node rules", () => {
    const spec = { cidr: "100.64.0.0/16", blockSize: 30, disabled: true };
    const found = facts(single(calicoTypes.ipPool, { spec }));
    assert.equal(found.podPools[0].disabled, true);
    assert.deepEqual(checkNetwork(found), []);
  });

  it("uses the pack's service range and reserved ranges when no resource declares them", () => {
    const settings = {
      ...defaultSettings,
      serviceCidr: "10.100.0.0/16",
      reservedRanges: [{ name: "on-premises", cidr: "10.0.0.0/8" }],
    };
    // A stack with Calico declares a self-managed cluster; one without has no service range.
    const pool = single(calicoTypes.ipPool, { spec: { cidr: "100.64.0.0/16" } });
    const found = facts(pool, settings);
    assert.deepEqual(
      found.serviceRanges.map((r) => [r.subject, r.cidr]),
      [[configSubjects.serviceCidr, "10.100.0.0/16"]],
    );
    assert.deepEqual(facts([], settings).serviceRanges, []);
    assert.deepEqual(
      facts([], settings).reservedRanges.map((r) => [r.subject, r.name]),
      [[configSubjects.reservedRange(0), "on-premises"]],
    );
  });
});

describe("security groups", () => {
  function groups(build: (b: StackBuilder) => void) {
    const b = new StackBuilder("preview");
    b.add(awsTypes.securityGroup, "sg", () => ({}));
    build(b);
    return facts(b.resources).securityGroups ?? [];
  }
  const sg = urnOf(awsTypes.securityGroup, "sg");

  it("collects inline rules (self included) and separate rules, skipping egress", () => {
    const b = new StackBuilder("preview");
    b.add(awsTypes.securityGroup, "sg", () => ({
      ingress: [{ protocol: "4", fromPort: 0, toPort: 0, self: true, cidrBlocks: ["10.0.0.0/16"] }],
    }));
    b.add(awsTypes.securityGroupRule, "bgp", (ref) => ({
      type: "ingress",
      securityGroupId: ref("securityGroupId", "sg"),
      protocol: "tcp",
      fromPort: 179,
      toPort: 179,
      self: true,
    }));
    b.add(awsTypes.securityGroupRule, "out", (ref) => ({
      type: "egress",
      securityGroupId: ref("securityGroupId", "sg"),
      protocol: "-1",
      fromPort: 0,
      toPort: 0,
      cidrBlocks: ["0.0.0.0/0"],
    }));
    const [group] = facts(b.resources).securityGroups ?? [];
    assert.deepEqual(
      group.ingress?.map((r) => [r.protocol, r.fromPort, r.sourceSecurityGroups, r.sourceCidrs]),
      [
        ["4", 0, [sg], ["10.0.0.0/16"]],
        ["tcp", 179, [sg], []],
      ],
    );
  });

  it("relates a vpc ingress rule to its groups through dependencies", () => {
    const [group] = groups((b) => {
      b.add(awsTypes.securityGroup, "other", () => ({}));
      b.add(awsTypes.ingressRule, "from-other", (ref) => ({
        securityGroupId: ref("securityGroupId", "sg"),
        referencedSecurityGroupId: ref("referencedSecurityGroupId", "other"),
        ipProtocol: "-1",
      }));
    });
    assert.deepEqual(group.ingress?.[0].sourceSecurityGroups, [
      urnOf(awsTypes.securityGroup, "other"),
    ]);
  });

  it("marks every group's rules unknown when a rule's group cannot be related", () => {
    const found = groups((b) => {
      b.add(awsTypes.ingressRule, "somewhere", () => ({
        securityGroupId: unknownSentinel,
        ipProtocol: "4",
      }));
    });
    assert.deepEqual(
      found.map((g) => g.ingress),
      [undefined],
    );
  });
});

describe("unknown or malformed values never throw", () => {
  const sentinel = fc.constantFrom(unknownSentinel, "dd056dcd-154b-4c76-9bd3-c8f88648b5ff");
  const leaf = fc.oneof(
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    sentinel,
    fc.constantFrom("10.0.0.0/16", "tigera-operator", "-1", "4"),
  );
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      leaf,
      fc.array(tie("value"), { maxLength: 3 }),
      fc.dictionary(
        fc.constantFrom(
          "cidr",
          "cidrBlock",
          "spec",
          "values",
          "installation",
          "calicoNetwork",
          "ipPools",
          "tags",
          "key",
          "value",
          "vpcId",
          "launchTemplate",
          "id",
          "networkInterfaces",
          "securityGroups",
          "ingress",
          "chart",
          "blockSize",
          "encapsulation",
          "maxSize",
          "vpcZoneIdentifiers",
        ),
        tie("value"),
        { maxKeys: 4 },
      ),
      tie("value").map((v) => secretValue(v)),
    ),
  })).value;
  const allTypes = [...Object.values(awsTypes), ...Object.values(calicoTypes)];

  it("for any properties on any recognised type", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            type: fc.constantFrom(...allTypes),
            props: fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 6 }),
          }),
          { maxLength: 8 },
        ),
        (resources) => {
          const inputs = resources.map((r, index) => ({
            type: r.type,
            urn: urnOf(r.type, `r${index}`),
            name: `r${index}`,
            properties: r.props,
            propertyDependencies: {},
            dependencies: [],
          }));
          const found = facts(inputs);
          checkNetwork(found);
          checkCalicoPorts(found);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("components and EKS", () => {
  it("takes a component's children as inferred candidates, and its one VPC as certain", () => {
    const b = new StackBuilder("preview", true);
    const component = b.add("awsx:ec2:Vpc", "net", () => ({}));
    const vpc = b.add(awsTypes.vpc, "net", () => ({ cidrBlock: "10.0.0.0/16" }), component);
    for (const [name, cidr, az] of [
      ["net-private-1", "10.0.0.0/18", "us-east-1a"],
      ["net-private-2", "10.0.64.0/18", "us-east-1b"],
    ]) {
      b.add(
        awsTypes.subnet,
        name,
        (ref) => ({ vpcId: ref("vpcId", vpc), cidrBlock: cidr, availabilityZone: az }),
        component,
      );
    }
    // The subnets' VPC comes from the component's output: still one VPC.
    b.add(awsTypes.securityGroup, "sg", (ref) => ({ vpcId: ref("vpcId", component) }));
    b.add(awsTypes.autoScalingGroup, "nodes", (ref) => ({
      maxSize: 3,
      vpcZoneIdentifiers: ref("vpcZoneIdentifiers", component),
    }));
    const graph = new ResourceGraph(asPolicyResources(b.resources));
    const [sg] = graph.ofType(awsTypes.securityGroup);
    assert.equal(graph.ref(sg, "vpcId", unknown, [awsTypes.vpc]), vpc);
    const [group] = facts(b.resources).nodeGroups;
    assert.equal(group.subnets, undefined);
    assert.deepEqual(group.candidateSubnets?.from, ["component net"]);
    assert.equal(group.candidateSubnets?.subnets.length, 2);
  });

  it("chooses EKS's default service range by the VPC's range", () => {
    assert.equal(eksDefaultServiceCidr("10.0.0.0/16"), "172.20.0.0/16");
    assert.equal(eksDefaultServiceCidr("10.255.0.0/16"), "172.20.0.0/16");
    assert.equal(eksDefaultServiceCidr("172.31.0.0/16"), "10.100.0.0/16");
    assert.equal(eksDefaultServiceCidr("192.168.0.0/16"), "10.100.0.0/16");
    assert.equal(eksDefaultServiceCidr("not-a-cidr"), undefined);
  });

  it("compares an EKS service range with its own VPC and reserved ranges, not other VPCs", () => {
    const stack = (serviceIpv4Cidr: string) => {
      const b = new StackBuilder("update");
      b.add(awsTypes.vpc, "blue", () => ({ cidrBlock: "10.0.0.0/16" }));
      b.add(awsTypes.vpc, "green", () => ({ cidrBlock: "10.1.0.0/16" }));
      b.add(awsTypes.subnet, "green-a", (ref) => ({
        vpcId: ref("vpcId", "green"),
        cidrBlock: "10.1.0.0/24",
      }));
      b.add("aws:eks/cluster:Cluster", "green-eks", (ref) => ({
        vpcConfig: { subnetIds: [ref("vpcConfig", "green-a")] },
        kubernetesNetworkConfig: { serviceIpv4Cidr },
      }));
      const settings = {
        ...defaultSettings,
        reservedRanges: [{ name: "dc", cidr: "10.200.0.0/16" }],
      };
      return checkNetwork(facts(b.resources, settings)).map((f) => [f.code, f.subjects[0]]);
    };
    const eks = urnOf("aws:eks/cluster:Cluster", "green-eks");
    assert.deepEqual(stack("10.0.0.0/16"), []);
    assert.deepEqual(stack("10.1.128.0/17"), [["cidr-overlap", urnOf(awsTypes.vpc, "green")]]);
    const reserved = stack("10.200.0.0/16");
    assert.equal(reserved.length, 1);
    assert.equal(reserved[0][0], "cidr-overlap");
    assert.ok(
      [eks, configSubjects.reservedRange(0)].includes(reserved[0][1] ?? ""),
      String(reserved),
    );
  });
});
