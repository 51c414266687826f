/**
 * Stack config validation: every problem is one line naming the key as written in
 * the stack file and the offending value; nothing throws.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { planAddresses } from "../lib/plan/addressPlan";
import { parseClusterConfig } from "../lib/config/clusterConfig";
import { exampleStacks } from "./support/stacks";
import { loadStack } from "../lib/config/stackFiles";
import { problemsFor, validClusterInput } from "./support/configs";

function withKey(key: string, value: unknown): Record<string, unknown> {
  return { ...validClusterInput(), [key]: value };
}

describe("stack config", () => {
  it("accepts every example stack", () => {
    assert.ok(exampleStacks.length >= 3);
    for (const stack of exampleStacks) {
      const result = loadStack(stack);
      assert.ok(result.ok, `${stack}: ${JSON.stringify(!result.ok && result.problems)}`);
    }
  });

  it("fills documented defaults", () => {
    const result = parseClusterConfig("unit", "eu-west-1", validClusterInput());
    assert.ok(result.ok);
    const config = result.config;
    assert.equal(config.serviceCidr, "10.96.0.0/12");
    assert.equal(config.natGateways, "perAz");
    assert.deepEqual(config.apiEndpoint, { access: "private", allowedCidrs: [] });
    assert.equal(config.masters.maxPods, 110);
    assert.equal(config.calico.mtu, config.calico.hostMtu - 20);
    assert.deepEqual(config.workerGroups[0].availabilityZones, [
      "eu-west-1a",
      "eu-west-1b",
      "eu-west-1c",
    ]);
    assert.deepEqual(
      config.availabilityZones.map((zone) => zone.slot),
      [0, 1, 2],
    );
  });

  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "a CIDR with host bits",
      withKey("vpcCidr", "10.0.0.1/16"),
      /^calico-cluster:vpcCidr = "10\.0\.0\.1\/16" has host bits set; the network address is 10\.0\.0\.0\/16$/,
    ],
    [
      "a non-CIDR",
      withKey("podCidr", "pods"),
      /^calico-cluster:podCidr = "pods" is not in address\/prefix form/,
    ],
    [
      "an IPv6 VPC",
      withKey("vpcCidr", "2001:db8::/56"),
      /^calico-cluster:vpcCidr = "2001:db8::\/56" must be IPv4/,
    ],
    [
      "a VPC too large for AWS",
      withKey("vpcCidr", "10.0.0.0/8"),
      /^calico-cluster:vpcCidr = "10\.0\.0\.0\/8" must be \/16 to \/22/,
    ],
    [
      "an unknown NAT mode",
      withKey("natGateways", "perRegion"),
      /^calico-cluster:natGateways = "perRegion" Invalid option/,
    ],
    [
      "a misspelt key",
      withKey("vpcCIDR", "10.0.0.0/16"),
      /^calico-cluster:vpcCIDR is not a known key/,
    ],
    [
      "a missing required key",
      (() => {
        const input = validClusterInput();
        delete input.podCidr;
        return input;
      })(),
      /^calico-cluster:podCidr is required$/,
    ],
    ["no AZs", withKey("availabilityZones", []), /^calico-cluster:availabilityZones = \[\] /],
    [
      "seven AZs",
      withKey(
        "availabilityZones",
        ["a", "b", "c", "d", "e", "f", "g"].map((l) => `eu-west-1${l}`),
      ),
      /^calico-cluster:availabilityZones = .* Too big/,
    ],
    [
      "an AZ of another region",
      withKey("availabilityZones", ["eu-west-1a", "us-east-1b"]),
      /^calico-cluster:availabilityZones\[1\] = "us-east-1b" is not in eu-west-1$/,
    ],
    [
      "two AZs in one slot",
      withKey("availabilityZones", ["eu-west-1a", { name: "eu-west-1b", slot: 0 }]),
      /^calico-cluster:availabilityZones\[1\] = "eu-west-1b" uses address slot 0, already used by eu-west-1a/,
    ],
    [
      "an AZ letter beyond h",
      withKey("availabilityZones", ["eu-west-1z"]),
      /^calico-cluster:availabilityZones\[0\] = "eu-west-1z" has no default address slot/,
    ],
    [
      "a worker group with minSize above maxSize",
      withKey("workerGroups", [{ name: "g", instanceType: "m6i.large", minSize: 5, maxSize: 2 }]),
      /^calico-cluster:workerGroups\[0\]\.minSize = 5 is larger than maxSize 2$/,
    ],
    [
      "a worker group in an unknown AZ",
      withKey("workerGroups", [
        {
          name: "g",
          instanceType: "m6i.large",
          minSize: 1,
          maxSize: 2,
          availabilityZones: ["eu-west-1c", "eu-west-1d"],
        },
      ]),
      /^calico-cluster:workerGroups\[0\]\.availabilityZones\[1\] = "eu-west-1d" is not one of the cluster's availabilityZones/,
    ],
    [
      "a duplicate worker group name",
      withKey("workerGroups", [
        { name: "g", instanceType: "m6i.large", minSize: 1, maxSize: 2 },
        { name: "g", instanceType: "m6i.large", minSize: 1, maxSize: 2 },
      ]),
      /^calico-cluster:workerGroups\[1\]\.name = "g" is used by two worker groups$/,
    ],
    [
      "a non-integer maxPods",
      withKey("workerGroups", [
        { name: "g", instanceType: "m6i.large", minSize: 1, maxSize: 2, maxPods: "lots" },
      ]),
      /^calico-cluster:workerGroups\[0\]\.maxPods = "lots" Invalid input: expected number/,
    ],
    [
      "a public API without allowed sources",
      withKey("apiEndpoint", { access: "public" }),
      /^calico-cluster:apiEndpoint\.allowedCidrs is required$/,
    ],
    [
      "a reserved range without a name",
      withKey("reservedRanges", [{ cidr: "10.0.0.0/8" }]),
      /^calico-cluster:reservedRanges\[0\]\.name is required$/,
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(`names the key and value for ${name}`, () => {
      const problems = problemsFor(input);
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(`${problems[0].subjects[0]} ${problems[0].message}`, expected);
    });
  }

  it("reports a missing or bad region as aws:region", () => {
    const missing = parseClusterConfig("unit", undefined, validClusterInput());
    assert.ok(!missing.ok);
    assert.deepEqual(missing.problems, [
      {
        code: "missing-key",
        severity: "error",
        subjects: ["aws:region"],
        message: "is required (the AWS region, e.g. eu-west-1)",
        fix: "",
      },
    ]);
    const [bad] = problemsFor(validClusterInput(), "Europe");
    assert.equal(
      `${bad.subjects[0]} ${bad.message}`,
      'aws:region = "Europe" is not an AWS region name',
    );
  });

  it("lists every problem, one line each", () => {
    const input = { ...validClusterInput(), vpcCidr: "10.0.0.1/16", podCidr: "x", natGateways: 3 };
    const problems = problemsFor(input);
    assert.deepEqual(problems.map((problem) => problem.subjects[0]).sort(), [
      "calico-cluster:natGateways",
      "calico-cluster:podCidr",
      "calico-cluster:vpcCidr",
    ]);
    for (const problem of problems) assert.doesNotMatch(problem.message, /\n| {4}at /);
  });

  it("never throws on garbage", () => {
    for (const garbage of [
      null,
      42,
      "text",
      [],
      { workerGroups: "x" },
      { availabilityZones: [null] },
    ]) {
      const result = parseClusterConfig("unit", "eu-west-1", garbage);
      assert.equal(result.ok, false);
    }
  });
});

describe("cross-key config checks", () => {
  it("refuses a public API endpoint without NAT gateways, naming both keys", () => {
    const problems = problemsFor({
      ...validClusterInput(),
      natGateways: "none",
      nodeImage: "ami-0123456789abcdef0",
      registryMirror: "registry.internal.example:5000/mirror",
      apiEndpoint: { access: "public", allowedCidrs: ["203.0.113.0/24"] },
    });
    assert.equal(problems.length, 1);
    assert.equal(problems[0].subjects[0], "calico-cluster:apiEndpoint.access");
    assert.match(
      problems[0].message,
      /^= "public" needs NAT gateways, but calico-cluster:natGateways = "none"/,
    );
  });

  it("refuses natGateways none without a pre-baked nodeImage and a registryMirror, naming both keys", () => {
    const problems = problemsFor({ ...validClusterInput(), natGateways: "none" });
    assert.deepEqual(
      problems.map((problem) => problem.subjects[0]),
      ["calico-cluster:nodeImage", "calico-cluster:registryMirror"],
    );
    for (const problem of problems) {
      assert.match(problem.message, /is required with calico-cluster:natGateways = "none"/);
      assert.match(problem.message, /calico-cluster:(nodeImage|registryMirror) too/);
    }
    assert.deepEqual(
      problemsFor({
        ...validClusterInput(),
        natGateways: "none",
        nodeImage: "ami-0123456789abcdef0",
      }).map((problem) => problem.subjects[0]),
      ["calico-cluster:registryMirror"],
    );
    assert.deepEqual(
      problemsFor({
        ...validClusterInput(),
        natGateways: "none",
        nodeImage: "ami-0123456789abcdef0",
        registryMirror: "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror",
      }),
      [],
    );
    assert.match(
      problemsFor({ ...validClusterInput(), registryMirror: "https://mirror.example/" })[0].message,
      /must be host\[:port\]\[\/path\]/,
    );
  });

  it("refuses a private API endpoint open to every address", () => {
    const problems = problemsFor({
      ...validClusterInput(),
      apiEndpoint: { access: "private", allowedCidrs: ["10.8.0.0/16", "0.0.0.0/0"] },
    });
    assert.deepEqual(
      problems.map((problem) => problem.subjects[0]),
      ["calico-cluster:apiEndpoint.allowedCidrs[1]"],
    );
  });
});

describe("kubernetesVersion", () => {
  it("refuses a version kubeadm's v1beta4 config cannot describe", () => {
    const [problem, ...rest] = problemsFor({ ...validClusterInput(), kubernetesVersion: "1.30.4" });
    assert.equal(rest.length, 0);
    assert.equal(
      `${problem.subjects[0]} ${problem.message}`,
      `calico-cluster:kubernetesVersion = "1.30.4" needs 1.31 or later (kubeadm's v1beta4 config)`,
    );
    assert.deepEqual(problemsFor({ ...validClusterInput(), kubernetesVersion: "1.31.0" }), []);
  });
});

describe("arbitrary stack configs", () => {
  const keys = [
    ...Object.keys(validClusterInput()),
    "serviceCidr",
    "natGateways",
    "apiEndpoint",
    "masters",
    "calico",
    "kubernetesVersion",
    "nodeImage",
    "registryMirror",
    "typo",
  ];
  it("never throw: every problem names a key of the stack file, and valid ones plan", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }),
        fc.oneof(fc.constant("eu-west-1"), fc.jsonValue({ maxDepth: 1 })),
        (changes, region) => {
          const result = parseClusterConfig("fuzz", region, { ...validClusterInput(), ...changes });
          if (result.ok) {
            const plan = planAddresses(result.config);
            assert.ok(Array.isArray(plan.findings));
            return;
          }
          assert.ok(result.problems.length > 0);
          for (const problem of result.problems) {
            assert.equal(problem.subjects.length, 1);
            assert.match(problem.subjects[0], /^(aws:region|calico-cluster:[A-Za-z])/);
            assert.doesNotMatch(problem.message, /\n/);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
