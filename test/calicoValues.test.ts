import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { planAddresses } from "../lib/plan/addressPlan";
import {
  CalicoInputError,
  calicoProblems,
  ipipOverheadBytes,
  podPoolErrors,
  podPoolIdentity,
  tigeraOperatorValues,
} from "../lib/calicoValues";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { exampleStacks, loadExample } from "./support/stacks";
import { configFrom, problemsFor, validClusterInput } from "./support/configs";

/** A block too small for a group: /26 holds 64 addresses, maxPods 110 needs 111. */
function withTooSmallBlock(config: ClusterConfig): ClusterConfig {
  return {
    ...config,
    podBlockSize: 26,
    workerGroups: config.workerGroups.map((group, index) =>
      index === 0 ? { ...group, maxPods: 110 } : group,
    ),
  };
}

function withCalico(config: ClusterConfig, calico: Partial<ClusterConfig["calico"]>) {
  return { ...config, calico: { ...config.calico, ...calico } };
}

describe("tigeraOperatorValues", () => {
  for (const stack of exampleStacks) {
    describe(stack, () => {
      const { config, plan } = loadExample(stack);
      const values = tigeraOperatorValues(plan, config);
      const network = values.installation.calicoNetwork;

      it("declares exactly the plan's pool, IPIP CrossSubnet with NAT, on every node", () => {
        assert.equal(network.ipPools.length, 1);
        const [pool] = network.ipPools;
        assert.equal(pool.cidr, plan.podPool.cidr);
        assert.equal(pool.cidr, config.podCidr);
        assert.equal(pool.blockSize, plan.podPool.blockSize);
        assert.equal(pool.encapsulation, "IPIPCrossSubnet");
        assert.equal(pool.encapsulation, plan.podPool.encapsulation);
        assert.equal(pool.natOutgoing, "Enabled");
        assert.equal(pool.nodeSelector, "all()");
      });

      it("runs Calico CNI and IPAM routed as the plan says, provider auto-detected", () => {
        assert.deepEqual(values.installation.cni, { type: "Calico", ipam: { type: "Calico" } });
        if (plan.routing.bgp) {
          assert.equal(network.bgp, "Enabled");
          assert.equal(network.clusterRoutingMode, undefined);
        } else {
          assert.equal(network.bgp, "Disabled");
          assert.equal(network.clusterRoutingMode, "Felix");
        }
        assert.equal(values.installation.kubernetesProvider, "");
        assert.deepEqual(network.nodeAddressAutodetectionV4, { kubernetes: "NodeInternalIP" });
      });

      it("sets the pod MTU from config, leaving room for the IPIP header", () => {
        assert.equal(network.mtu, config.calico.mtu);
        assert.ok(network.mtu <= config.calico.hostMtu - ipipOverheadBytes);
      });

      it("publishes the service range and turns the EC2 source/dest check off", () => {
        assert.deepEqual(values.installation.serviceCIDRs, [config.serviceCidr]);
        assert.deepEqual(values.defaultFelixConfiguration, {
          enabled: true,
          awsSrcDstCheck: "Disable",
        });
      });

      it("refuses a block too small for a group's maxPods, naming podBlockSize", () => {
        const badPlan = planAddresses(withTooSmallBlock(config));
        assert.ok(podPoolErrors(badPlan).some((f) => f.code === "block-too-small-for-pods"));
        assert.throws(
          () => tigeraOperatorValues(badPlan, config),
          (error: unknown) =>
            error instanceof CalicoInputError &&
            error.message.includes(stack) &&
            error.message.includes("calico-cluster:podBlockSize") &&
            error.message.includes("/26") &&
            error.problems.some((problem) => problem.code === "block-too-small-for-pods"),
        );
      });
    });
  }

  it("follows an explicit pod MTU", () => {
    const { config, plan } = loadExample(exampleStacks[0]);
    const mtu = config.calico.hostMtu - ipipOverheadBytes - 481;
    const values = tigeraOperatorValues(plan, withCalico(config, { mtu }));
    assert.equal(values.installation.calicoNetwork.mtu, mtu);
  });
});

describe("calicoProblems", () => {
  const { config, plan } = loadExample(exampleStacks[0]);

  it("accepts every example stack", () => {
    for (const stack of exampleStacks) {
      const example = loadExample(stack);
      assert.deepEqual(calicoProblems(example.plan, example.config), []);
    }
  });

  it("refuses a pod MTU above hostMtu minus the IPIP header, naming calico.mtu", () => {
    const mtu = config.calico.hostMtu - ipipOverheadBytes + 1;
    const problems = calicoProblems(plan, withCalico(config, { mtu }));
    assert.deepEqual(
      problems.map((problem) => problem.code),
      ["pod-mtu-too-large"],
    );
    assert.equal(problems[0].subjects[0], "calico-cluster:calico.mtu");
    assert.match(problems[0].message, new RegExp(`${mtu}.*${config.calico.hostMtu}`));
    assert.match(problems[0].fix, new RegExp(String(mtu - 1)));
  });

  it("refuses chart versions before v3.32 (no separate CRD chart), naming calico.version", () => {
    for (const version of ["v3.31.4", "v3.9.0", "v2.40.0"]) {
      const problems = calicoProblems(plan, withCalico(config, { version }));
      assert.deepEqual(
        problems.map((problem) => [problem.code, problem.subjects[0]]),
        [["calico-version-unsupported", "calico-cluster:calico.version"]],
        version,
      );
      assert.match(problems[0].message, new RegExp(version.replace(/\./g, "\\.")));
    }
    for (const version of ["v3.32.0", "v3.32.1", "v3.40.2"]) {
      assert.deepEqual(calicoProblems(plan, withCalico(config, { version })), [], version);
    }
  });

  it("ignores planner errors that are not about the pod pool", () => {
    const unrelated = {
      ...plan,
      findings: [
        {
          code: "subnet-too-small-for-nodes" as const,
          severity: "error" as const,
          message: "subnet eu-west-1a private is full",
          subjects: ["subnet eu-west-1a private", "calico-cluster:workerGroups[0]"],
          fix: "Use a larger VPC.",
        },
      ],
    };
    assert.deepEqual(podPoolErrors(unrelated), []);
    assert.deepEqual(calicoProblems(unrelated, config), []);
  });
});

describe("podPoolIdentity", () => {
  it("changes exactly when the pool's CIDR or block size changes", () => {
    const { plan } = loadExample(exampleStacks[0]);
    const pool = fc.record({
      cidr: fc.constantFrom("100.64.0.0/16", "100.64.0.0/17", "100.65.0.0/16"),
      blockSize: fc.integer({ min: 20, max: 32 }),
    });
    fc.assert(
      fc.property(pool, pool, (a, b) => {
        const identity = (p: typeof a) =>
          podPoolIdentity({ podPool: { ...plan.podPool, cidr: p.cidr, blockSize: p.blockSize } });
        const same = a.cidr === b.cidr && a.blockSize === b.blockSize;
        assert.equal(JSON.stringify(identity(a)) === JSON.stringify(identity(b)), same);
      }),
    );
  });
});

describe("calico config keys", () => {
  it("defaults: mesh up to 100 nodes, API server, goldmane and whisker off, no legacy release", () => {
    const config = configFrom(validClusterInput());
    assert.equal(config.calico.fullMeshMaxNodes, 100);
    assert.equal(config.calico.apiServer, false);
    assert.equal(config.calico.goldmane, false);
    assert.equal(config.calico.whisker, false);
    assert.equal(config.calico.legacyCrdRelease, undefined);
    const values = tigeraOperatorValues(planAddresses(config), config);
    assert.deepEqual(
      [values.apiServer, values.goldmane, values.whisker],
      [{ enabled: false }, { enabled: false }, { enabled: false }],
    );
  });

  it("takes each key as written", () => {
    const config = configFrom({
      ...validClusterInput(),
      calico: {
        fullMeshMaxNodes: 10,
        apiServer: true,
        goldmane: true,
        whisker: true,
        legacyCrdRelease: "retain",
      },
    });
    assert.equal(config.calico.version, "v3.32.1");
    assert.equal(config.calico.legacyCrdRelease, "retain");
    const plan = planAddresses(config);
    assert.equal(plan.routing.mode, "felix");
    assert.match(plan.routing.reason, /calico-cluster:calico\.fullMeshMaxNodes = 10/);
    const values = tigeraOperatorValues(plan, config);
    assert.deepEqual(
      [values.apiServer, values.goldmane, values.whisker],
      [{ enabled: true }, { enabled: true }, { enabled: true }],
    );
  });

  it("refuses bad values naming the key and the value", () => {
    for (const [calico, key] of [
      [{ fullMeshMaxNodes: 0 }, "calico-cluster:calico.fullMeshMaxNodes"],
      [{ fullMeshMaxNodes: 2.5 }, "calico-cluster:calico.fullMeshMaxNodes"],
      [{ apiServer: "yes" }, "calico-cluster:calico.apiServer"],
      [{ legacyCrdRelease: "delete" }, "calico-cluster:calico.legacyCrdRelease"],
    ] as const) {
      const problems = problemsFor({ ...validClusterInput(), calico });
      assert.equal(problems.length, 1, JSON.stringify(calico));
      assert.equal(problems[0].subjects[0], key);
      const value = Object.values(calico)[0];
      assert.ok(problems[0].message.includes(JSON.stringify(value)), problems[0].message);
    }
  });
});
