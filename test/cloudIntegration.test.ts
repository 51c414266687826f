/**
 * The AWS cloud integration as the real program (index.ts) declares it, for
 * every example stack under the mock engine (update mode: user data rendered
 * from real certificates): the cloud controller and autoscaler charts with
 * their repositories, versions and values; the kubeadm documents' flags, parsed
 * from the masters' and workers' user data; one cluster-tagged security group
 * per launch template; the master scripts' SSM parameters and lifecycle hooks.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { parse as parseYaml } from "yaml";
import type { RecordedResource } from "../lib/harness/mockEngine";
import { programRuns } from "./support/programRuns";
import type { ProgramRunResult } from "../lib/harness/programRun";
import { kubernetesMinor } from "../lib/config/kubernetesVersion";
import { masterScripts } from "../lib/nodes/masterScripts";
import { exampleStacks, loadExample } from "./support/stacks";
import {
  decodeWireUserData,
  documentOfKind,
  fileContent,
  parseCloudConfig,
} from "./support/userData";

const runs = new Map<string, ProgramRunResult>();

before(async () => {
  const updates = await programRuns(exampleStacks, ["update"]);
  for (const stack of exampleStacks) {
    const run = updates.get(`${stack}/update`);
    if (run) runs.set(stack, run);
  }
});

function resourcesOf(stack: string): RecordedResource[] {
  const run = runs.get(stack);
  assert.ok(run?.ok, `the program refused ${stack}: ${run && !run.ok ? run.error : "no run"}`);
  return [...run.resources];
}

const one = (resources: readonly RecordedResource[], type: string, name: string) => {
  const found = resources.filter((r) => r.type === type && r.name === name);
  assert.equal(found.length, 1, `${type} ${name}: ${found.length}`);
  return found[0];
};

const release = "kubernetes:helm.sh/v3:Release";
const cloudProvider = [{ name: "cloud-provider", value: "external" }];
/** The kubelet's arguments: its node-ip (the bootstrap, issue 17) and the cloud provider. */
const kubeletArgs = [{ name: "node-ip", value: "__NODE_IP__" }, ...cloudProvider];

for (const stack of exampleStacks) {
  describe(`AWS cloud integration, ${stack}`, () => {
    const { config } = loadExample(stack);
    const minor = kubernetesMinor(config.kubernetesVersion);

    it("installs the cloud controller at the cluster's minor: host network, masters, no cloud routes", () => {
      const ccm = one(resourcesOf(stack), release, "aws-cloud-controller-release");
      assert.equal(ccm.inputs.chart, "aws-cloud-controller-manager");
      assert.deepEqual(ccm.inputs.repositoryOpts, {
        repo: "https://kubernetes.github.io/cloud-provider-aws",
      });
      assert.equal(ccm.inputs.version, "0.0.11");
      assert.equal(ccm.inputs.namespace, "kube-system");
      const values = ccm.inputs.values as Record<string, unknown>;
      const tag = (values.image as { tag: string }).tag;
      assert.equal(kubernetesMinor(tag.replace(/^v/, "")), minor, tag);
      assert.equal(values.hostNetworking, true);
      const args = values.args as string[];
      assert.ok(args.includes("--configure-cloud-routes=false"), args.join(" "));
      assert.ok(args.includes("--cloud-provider=aws"));
      assert.deepEqual(values.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
      const tolerated = (values.tolerations as { key: string }[]).map((t) => t.key);
      assert.ok(tolerated.includes("node.cloudprovider.kubernetes.io/uninitialized"));
      assert.ok(tolerated.includes("node-role.kubernetes.io/control-plane"));
    });

    it("installs cluster-autoscaler at the cluster's minor, discovering this cluster's groups, on the masters", () => {
      const resources = resourcesOf(stack);
      const ca = one(resources, release, "cluster-autoscaler-release");
      assert.equal(ca.inputs.chart, "cluster-autoscaler");
      assert.deepEqual(ca.inputs.repositoryOpts, {
        repo: "https://kubernetes.github.io/autoscaler",
      });
      assert.equal(ca.inputs.version, "9.59.0");
      const values = ca.inputs.values as Record<string, unknown>;
      const tag = (values.image as { tag: string }).tag;
      assert.equal(kubernetesMinor(tag.replace(/^v/, "")), minor, tag);
      assert.equal(values.cloudProvider, "aws");
      assert.equal(values.awsRegion, config.region);
      assert.deepEqual(values.autoDiscovery, { clusterName: config.clusterName });
      assert.equal(
        (values.extraArgs as Record<string, unknown>)["balance-similar-node-groups"],
        true,
      );
      assert.deepEqual(values.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
      // After the controller (which initialises the nodes) and Calico.
      const ccm = one(resources, release, "aws-cloud-controller-release");
      assert.ok(ca.dependencies.includes(ccm.urn), "autoscaler does not wait for the controller");
      assert.ok(ca.dependencies.some((urn) => urn.endsWith("::calico-operator")));
      // Both through the cluster's provider, which waits for the API.
      assert.equal(ca.provider.split("::")[0], ccm.provider.split("::")[0]);
      assert.match(ccm.provider, /calico-kubernetes/);
      // Worker groups are discoverable; masters are not.
      for (const group of resources.filter((r) => r.type === "aws:autoscaling/group:Group")) {
        const keys = (group.inputs.tags as { key: string }[]).map((t) => t.key);
        const discoverable = keys.includes(`k8s.io/cluster-autoscaler/${config.clusterName}`);
        assert.equal(discoverable, !group.name.startsWith("master-"), group.name);
      }
    });

    it("runs every kubelet and the controller manager with the external cloud provider, never the API server", () => {
      const resources = resourcesOf(stack);
      const templates = resources.filter((r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate");
      assert.equal(templates.length, config.availabilityZones.length + config.workerGroups.length);
      let inits = 0;
      for (const template of templates) {
        const userData = parseCloudConfig(decodeWireUserData(template.wireInputs.userData));
        const join = documentOfKind(
          fileContent(userData, "/etc/kubeadm/join.yaml"),
          "JoinConfiguration",
        );
        assert.deepEqual(
          (join.nodeRegistration as Record<string, unknown>).kubeletExtraArgs,
          kubeletArgs,
          template.name,
        );
        const patch = parseYaml(
          fileContent(userData, "/etc/kubeadm/patches/kubeletconfiguration+merge.yaml"),
        ) as Record<string, unknown>;
        assert.equal(patch.providerID, "__PROVIDER_ID__");
        if (!userData.files.has("/etc/kubeadm/init.yaml")) continue;
        inits++;
        const initText = fileContent(userData, "/etc/kubeadm/init.yaml");
        const init = documentOfKind(initText, "InitConfiguration");
        assert.deepEqual(
          (init.nodeRegistration as Record<string, unknown>).kubeletExtraArgs,
          kubeletArgs,
        );
        const cluster = documentOfKind(initText, "ClusterConfiguration");
        assert.deepEqual(
          (cluster.controllerManager as Record<string, unknown>).extraArgs,
          cloudProvider,
        );
        assert.equal((cluster.apiServer as Record<string, unknown>).extraArgs, undefined);
        assert.ok(!JSON.stringify(cluster.apiServer).includes("cloud-provider"));
        // The cluster-wide kubelet config carries no node's provider ID.
        assert.equal(documentOfKind(initText, "KubeletConfiguration").providerID, undefined);
      }
      assert.equal(inits, 1);
    });

    it("puts exactly one cluster-tagged security group on every launch template", () => {
      const resources = resourcesOf(stack);
      const groups = new Map(
        resources
          .filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup")
          .map((r) => [`${r.name}-id`, r]),
      );
      const tagKey = `kubernetes.io/cluster/${config.clusterName}`;
      for (const template of resources.filter(
        (r) => r.type === "aws:ec2/launchTemplate:LaunchTemplate",
      )) {
        const ids = (template.inputs.networkInterfaces as { securityGroups: string[] }[]).flatMap(
          (i) => i.securityGroups,
        );
        const tagged = ids.filter((id) => {
          const group = groups.get(id);
          assert.ok(group, `${template.name} names an undeclared group ${id}`);
          return tagKey in (group.inputs.tags as Record<string, string>);
        });
        assert.equal(tagged.length, 1, template.name);
      }
      // The load balancer's group stays untagged: the controller must never pick it.
      assert.ok(
        !(
          tagKey in
          (one(resources, "aws:ec2/securityGroup:SecurityGroup", "api-lb").inputs.tags as object)
        ),
      );
    });

    it("declares the master scripts as SSM parameters and a continuing termination hook per master group", () => {
      const resources = resourcesOf(stack);
      for (const script of masterScripts(config)) {
        const parameter = one(resources, "aws:ssm/parameter:Parameter", `master-${script.key}`);
        assert.equal(parameter.inputs.insecureValue, script.content);
        assert.equal(
          parameter.inputs.name,
          `/calico-cluster/${config.clusterName}/master/${script.key}`,
        );
        assert.equal(parameter.inputs.type, "String");
      }
      const hooks = resources.filter(
        (r) => r.type === "aws:autoscaling/lifecycleHook:LifecycleHook",
      );
      assert.equal(hooks.length, config.availabilityZones.length);
      for (const hook of hooks) {
        assert.equal(hook.inputs.lifecycleTransition, "autoscaling:EC2_INSTANCE_TERMINATING");
        assert.equal(hook.inputs.defaultResult, "CONTINUE");
        assert.ok(Number(hook.inputs.heartbeatTimeout) <= 600);
        assert.equal(hook.inputs.name, "kubeadm-reset");
      }
    });
  });
}
