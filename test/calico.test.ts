import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as k8s from "@pulumi/kubernetes";
import { Calico, crdChildTransform } from "../components/calico";
import { type AddressPlan, planAddresses } from "../lib/plan/addressPlan";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { installMockEngine, type RecordedResource, unknownValue } from "../lib/harness/mockEngine";
import { exampleStacks, loadExample } from "./support/stacks";

const releaseType = "kubernetes:helm.sh/v3:Release";
const chartType = "kubernetes:helm.sh/v4:Chart";
const providerType = "pulumi:providers:kubernetes";
const guardType = "random:index/randomId:RandomId";
/** The SDK's wire marker for a secret value. */
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";
const kubeconfigText =
  "apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user: {token: t0ken}\n";

/**
 * A real run asks the engine which features it supports before the program starts;
 * `installMockEngine` skips that, so secrets would travel unwrapped. Ask the mock.
 */
const runtimeSettings = settings as typeof settings & { awaitFeatureSupport(): Promise<void> };

async function installEngine(stack: string, preview: boolean) {
  const engine = installMockEngine({ project: "calico-cluster", stack, preview });
  await runtimeSettings.awaitFeatureSupport();
  return engine;
}

/** Stands in for the readiness check the cluster component provides. */
class ApiReadiness extends pulumi.CustomResource {
  constructor(name: string) {
    super("test:index:ApiReadiness", name, {});
  }
}

interface Declared {
  readonly resources: readonly RecordedResource[];
  /** Resource options as the component passed them, by logical name. */
  readonly options: ReadonlyMap<string, pulumi.ResourceOptions>;
  readonly component: Calico;
  readonly readiness: RecordedResource;
}

/** Declares the component for a plan under a fresh mock engine and records what it sends. */
async function declare(
  preview: boolean,
  stack: string,
  config: ClusterConfig,
  plan: AddressPlan,
  kubeconfig: (readiness: ApiReadiness) => pulumi.Input<string> = () =>
    pulumi.secret(kubeconfigText),
): Promise<Declared> {
  const engine = await installEngine(stack, preview);
  const options = new Map<string, pulumi.ResourceOptions>();
  const readiness = new ApiReadiness("api-readiness");
  const component = new Calico(
    "calico",
    { config, plan, kubeconfig: kubeconfig(readiness), apiReadiness: readiness },
    {
      // Sees each child's options as given; the recorder does not carry `protect`.
      transformations: [
        (args) => {
          options.set(args.name, args.opts);
          return undefined;
        },
      ],
    },
  );
  const resources = await engine.settle();
  const recordedReadiness = resources.find((r) => r.name === "api-readiness");
  assert.ok(recordedReadiness);
  return { resources: [...resources], options, component, readiness: recordedReadiness };
}

function one(resources: readonly RecordedResource[], type: string, name: string) {
  const found = resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `${type} ${name}`);
  return found[0];
}

function objectAt(value: unknown, ...path: string[]): Record<string, unknown> {
  let current = value;
  for (const key of path) {
    assert.ok(current && typeof current === "object", `${path.join(".")}: no ${key}`);
    current = (current as Record<string, unknown>)[key];
  }
  assert.ok(current && typeof current === "object", path.join("."));
  return current as Record<string, unknown>;
}

function outputValue<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** The example config with another pod CIDR or block size, planned again. */
function replanned(config: ClusterConfig, change: Partial<ClusterConfig>) {
  const changed = { ...config, ...change };
  return { config: changed, plan: planAddresses(changed) };
}

for (const preview of [true, false]) {
  describe(preview ? "preview" : "update", () => {
    for (const stack of exampleStacks) {
      describe(stack, () => {
        const { config, plan } = loadExample(stack);

        it("applies the CRD chart server-side, protected and retained, then the operator chart", async () => {
          // A stack deployed fresh: no legacy release to keep.
          const fresh = { ...config, calico: { ...config.calico, legacyCrdRelease: undefined } };
          const { resources } = await declare(preview, stack, fresh, plan);
          const chart = one(resources, chartType, "calico-crd-chart");
          const operator = one(resources, releaseType, "calico-operator");
          // Calico's published chart names and repository, not derivable from config.
          assert.equal(chart.inputs.chart, "crd.projectcalico.org.v1");
          assert.equal(operator.inputs.chart, "tigera-operator");
          for (const owner of [chart, operator]) {
            assert.equal(owner.inputs.version, config.calico.version);
            assert.deepEqual(owner.inputs.repositoryOpts, {
              repo: "https://docs.tigera.io/calico/charts",
            });
          }
          assert.equal(chart.remote, true, "a v4 Chart: the provider registers each CRD");
          assert.equal(chart.protect, true);
          assert.equal(chart.retainOnDelete, true);
          assert.equal(chart.transforms, 1, "the transform that protects every CRD");
          assert.equal(operator.inputs.namespace, "tigera-operator");
          assert.equal(operator.inputs.createNamespace, true);
          assert.equal(operator.inputs.skipCrds, true);
          assert.ok(resources.indexOf(chart) < resources.indexOf(operator));
          assert.ok(operator.dependencies.includes(chart.urn), "operator depends on the CRDs");
          assert.deepEqual(
            resources.filter((r) => r.type === releaseType).map((r) => r.name),
            ["calico-operator"],
            "no Helm release owns the CRDs",
          );
        });

        it("keeps a deployed stack's calico-crds release frozen and retained while it moves", async () => {
          const moving = {
            ...config,
            calico: { ...config.calico, legacyCrdRelease: "retain" as const },
          };
          const { resources } = await declare(preview, stack, moving, plan);
          const legacy = one(resources, releaseType, "calico-crds");
          const chart = one(resources, chartType, "calico-crd-chart");
          const operator = one(resources, releaseType, "calico-operator");
          // The URN a stack deployed before the move has: same parent, same name.
          assert.equal(
            legacy.urn,
            `urn:pulumi:${stack}::calico-cluster::calico-cluster:calico:Calico$kubernetes:helm.sh/v3:Release::calico-crds`,
          );
          assert.equal(legacy.inputs.name, "calico-crds");
          assert.equal(legacy.inputs.chart, "crd.projectcalico.org.v1");
          assert.equal(legacy.retainOnDelete, true, "removing it later leaves the CRDs");
          assert.equal(legacy.protect, false, "so that step 2 can remove it");
          for (const input of Object.keys(legacy.inputs)) {
            assert.ok(legacy.ignoreChanges.includes(input), `${input} is frozen`);
          }
          assert.equal(chart.retainOnDelete, true);
          assert.ok(operator.dependencies.includes(legacy.urn));
          assert.ok(operator.dependencies.includes(chart.urn));
        });

        it("declares the plan's pool and the config's MTU and service range", async () => {
          const { resources } = await declare(preview, stack, config, plan);
          const values = one(resources, releaseType, "calico-operator").inputs.values;
          const installation = objectAt(values, "installation");
          const network = objectAt(installation, "calicoNetwork");
          assert.deepEqual(installation.cni, { type: "Calico", ipam: { type: "Calico" } });
          assert.equal(installation.kubernetesProvider, "");
          assert.deepEqual(installation.serviceCIDRs, [config.serviceCidr]);
          assert.equal(network.bgp, plan.routing.bgp ? "Enabled" : "Disabled");
          assert.deepEqual(network.nodeAddressAutodetectionV4, { kubernetes: "NodeInternalIP" });
          assert.equal(network.mtu, config.calico.mtu);
          assert.equal(network.mtu, config.calico.hostMtu - 20);
          assert.deepEqual(network.ipPools, [
            {
              cidr: plan.podPool.cidr,
              blockSize: plan.podPool.blockSize,
              encapsulation: plan.podPool.encapsulation,
              natOutgoing: "Enabled",
              nodeSelector: "all()",
            },
          ]);
          assert.equal(plan.podPool.encapsulation, "IPIPCrossSubnet");
        });

        it("turns the chart's optional components off unless the config asks for them", async () => {
          const off = objectAt(
            one(
              (await declare(preview, stack, config, plan)).resources,
              releaseType,
              "calico-operator",
            ).inputs,
            "values",
          );
          for (const component of ["apiServer", "goldmane", "whisker"]) {
            assert.deepEqual(off[component], { enabled: false }, component);
          }
          const asked = {
            ...config,
            calico: { ...config.calico, apiServer: true, goldmane: true, whisker: true },
          };
          const on = objectAt(
            one(
              (await declare(preview, stack, asked, plan)).resources,
              releaseType,
              "calico-operator",
            ).inputs,
            "values",
          );
          for (const component of ["apiServer", "goldmane", "whisker"]) {
            assert.deepEqual(on[component], { enabled: true }, component);
          }
        });

        it("turns the EC2 source/dest check off through the default FelixConfiguration", async () => {
          const { resources } = await declare(preview, stack, config, plan);
          const values = one(resources, releaseType, "calico-operator").inputs.values;
          assert.deepEqual(objectAt(values, "defaultFelixConfiguration"), {
            enabled: true,
            awsSrcDstCheck: "Disable",
          });
        });

        it("talks to the API only through a provider that waits for readiness", async () => {
          const { resources, readiness } = await declare(preview, stack, config, plan);
          const provider = one(resources, providerType, "calico-kubernetes");
          assert.ok(provider.dependencies.includes(readiness.urn));
          assert.deepEqual(provider.wireInputs.kubeconfig, {
            "4dabf18193072939515e22adb298388d": secretSignature,
            value: kubeconfigText,
          });
          const release = one(resources, releaseType, "calico-operator");
          assert.equal(release.provider.split("::").slice(0, 4).join("::"), provider.urn);
        });

        it("keeps a plain kubeconfig secret", async () => {
          const { resources } = await declare(preview, stack, config, plan, () => kubeconfigText);
          const provider = one(resources, providerType, "calico-kubernetes");
          assert.deepEqual(provider.wireInputs.kubeconfig, {
            "4dabf18193072939515e22adb298388d": secretSignature,
            value: kubeconfigText,
          });
        });

        if (preview) {
          it("declares everything while the kubeconfig is still unknown", async () => {
            // A first preview: the PKI has not run, so the kubeconfig has no value yet.
            const { resources } = await declare(preview, stack, config, plan, (readiness) =>
              readiness.id.apply((id) => `kubeconfig for ${id}`),
            );
            const provider = one(resources, providerType, "calico-kubernetes");
            assert.ok(JSON.stringify(provider.wireInputs.kubeconfig).includes(unknownValue));
            one(resources, chartType, "calico-crd-chart");
            one(resources, releaseType, "calico-operator");
            one(resources, guardType, "calico-pod-pool");
          });
        }

        it("guards the pool with a protected resource the operator depends on", async () => {
          const { resources, options } = await declare(preview, stack, config, plan);
          const guard = one(resources, guardType, "calico-pod-pool");
          assert.deepEqual(guard.inputs.keepers, {
            cidr: plan.podPool.cidr,
            blockSize: String(plan.podPool.blockSize),
          });
          assert.equal(options.get("calico-pod-pool")?.protect, true);
          const operator = one(resources, releaseType, "calico-operator");
          assert.ok(operator.dependencies.includes(guard.urn));
        });

        it("changes the guard's keepers, not its URN, when the CIDR or block size changes", async () => {
          const before = one(
            (await declare(preview, stack, config, plan)).resources,
            guardType,
            "calico-pod-pool",
          );
          const prefix = Number(config.podCidr.split("/")[1]);
          const changes: Partial<ClusterConfig>[] = [
            { podCidr: `100.96.0.0/${prefix}` },
            { podBlockSize: plan.podPool.blockSize - 1 },
          ];
          for (const change of changes) {
            const next = replanned(config, change);
            assert.deepEqual(
              next.plan.findings.filter((f) => f.severity === "error"),
              [],
            );
            const { resources } = await declare(preview, stack, next.config, next.plan);
            const after = one(resources, guardType, "calico-pod-pool");
            assert.equal(after.urn, before.urn);
            assert.notDeepEqual(
              after.inputs.keepers,
              before.inputs.keepers,
              JSON.stringify(change),
            );
            assert.deepEqual(after.inputs.keepers, {
              cidr: next.plan.podPool.cidr,
              blockSize: String(next.plan.podPool.blockSize),
            });
          }
          const unrelated = replanned(config, {
            calico: { ...config.calico, mtu: config.calico.mtu - 100 },
          });
          const { resources } = await declare(preview, stack, unrelated.config, unrelated.plan);
          assert.deepEqual(
            one(resources, guardType, "calico-pod-pool").inputs.keepers,
            before.inputs.keepers,
          );
        });

        it("outputs the pool, encapsulation and chart version", async () => {
          const { component } = await declare(preview, stack, config, plan);
          assert.equal(await outputValue(component.poolCidr), plan.podPool.cidr);
          assert.equal(await outputValue(component.blockSize), plan.podPool.blockSize);
          assert.equal(await outputValue(component.encapsulation), plan.podPool.encapsulation);
          assert.equal(await outputValue(component.chartVersion), config.calico.version);
        });

        it("refuses a block too small for maxPods before declaring anything", async () => {
          const bad = replanned(config, {
            podBlockSize: 26,
            workerGroups: config.workerGroups.map((group, index) =>
              index === 0 ? { ...group, maxPods: 110 } : group,
            ),
          });
          const engine = await installEngine(stack, preview);
          const readiness = new ApiReadiness("api-readiness");
          assert.throws(
            () =>
              new Calico("calico", {
                config: bad.config,
                plan: bad.plan,
                kubeconfig: pulumi.secret(kubeconfigText),
                apiReadiness: readiness,
              }),
            (error: unknown) =>
              pulumi.RunError.isInstance(error) &&
              error.message.includes("calico-cluster:podBlockSize") &&
              error.message.includes("/26") &&
              error.message.includes("maxPods 110"),
          );
          const resources = await engine.settle();
          assert.deepEqual(
            resources.map((r) => r.name),
            ["api-readiness"],
          );
        });
      });
    }
  });
}

/** The example with its first worker group resized so the groups reach `nodes` in all. */
function sized(stack: string, nodes: number) {
  const { config } = loadExample(stack);
  const masters = config.availabilityZones.length;
  const others = config.workerGroups.slice(1).reduce((sum, group) => sum + group.maxSize, 0);
  const [first, ...rest] = config.workerGroups;
  const maxSize = nodes - masters - others;
  assert.ok(maxSize >= first.minSize, `${stack} cannot be sized to ${nodes}`);
  const changed = { ...config, workerGroups: [{ ...first, maxSize }, ...rest] };
  return { config: changed, plan: planAddresses(changed) };
}

describe("routing past the full mesh", () => {
  for (const [nodes, bgp] of [
    [150, false],
    [101, false],
    [100, true],
    [50, true],
  ] as const) {
    it(`${nodes} nodes: ${bgp ? "BGP full mesh" : "Felix routing, BGP off"}`, async () => {
      const { config, plan } = sized("search-dev", nodes);
      assert.equal(plan.podPool.maxNodes, nodes);
      assert.equal(plan.routing.bgp, bgp);
      const { resources } = await declare(false, "search-dev", config, plan);
      const network = objectAt(
        one(resources, releaseType, "calico-operator").inputs,
        "values",
        "installation",
        "calicoNetwork",
      );
      if (bgp) {
        assert.equal(network.bgp, "Enabled");
        assert.equal("clusterRoutingMode" in network, false, "BIRD, the default, untouched");
      } else {
        assert.equal(network.bgp, "Disabled");
        assert.equal(network.clusterRoutingMode, "Felix");
      }
    });
  }

  it("payments-prod (103 nodes) does not run the full mesh", () => {
    const { plan } = loadExample("payments-prod");
    assert.equal(plan.podPool.maxNodes, 103);
    assert.equal(plan.routing.mode, "felix");
  });

  it("follows calico.fullMeshMaxNodes", () => {
    const { config } = sized("search-dev", 150);
    const raised = { ...config, calico: { ...config.calico, fullMeshMaxNodes: 200 } };
    assert.equal(planAddresses(raised).routing.mode, "bgp-full-mesh");
  });
});

describe("CRD chart transform", () => {
  it("protects, retains and binds every child; CRDs take over Helm's fields", async () => {
    await installEngine("search-dev", false);
    const provider = new k8s.Provider("test-kubernetes", {});
    const transform = crdChildTransform(provider);
    const crd = {
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: "ippools.crd.projectcalico.org", annotations: { keep: "me" } },
      spec: { group: "crd.projectcalico.org" },
    };
    const result = await transform({
      type: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition",
      name: "calico-crd-chart:ippools.crd.projectcalico.org",
      custom: true,
      props: crd,
      opts: { protect: false },
    });
    assert.ok(result);
    assert.equal(result.opts.protect, true);
    assert.equal(result.opts.retainOnDelete, true);
    assert.equal(result.opts.provider, provider);
    assert.deepEqual(objectAt(result.props, "metadata", "annotations"), {
      keep: "me",
      "pulumi.com/patchForce": "true",
    });
    assert.deepEqual(objectAt(result.props, "spec"), crd.spec);
    assert.equal(
      await transform({
        type: chartType,
        name: "calico-crd-chart",
        custom: false,
        props: {},
        opts: {},
      }),
      undefined,
      "the chart itself keeps its own options",
    );
  });
});
