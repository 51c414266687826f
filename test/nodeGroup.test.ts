import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { NodeGroup } from "../components/nodeGroup";
import { installMockEngine } from "../lib/harness/mockEngine";
import { maxPodsTagKey } from "../policy/rules/wellKnown";
import { isWireSecret, plainSecretLeaks } from "./support/clusterMocks";
import {
  autoScalingGroupType,
  declareNodes,
  groupTags,
  launchTemplateProblems,
  launchTemplateType,
  type NodeScenario,
  urnName,
} from "./support/nodeScenario";
import { exampleStacks, loadExample } from "./support/stacks";
import {
  decodeWireUserData,
  documentOfKind,
  fileContent,
  parseCloudConfig,
  yamlDocuments,
} from "./support/userData";

for (const stack of exampleStacks) {
  for (const preview of [true, false]) {
    describe(`NodeGroup, ${stack}, ${preview ? "preview" : "update"}`, () => {
      let scenario: NodeScenario;
      before(async () => {
        scenario = await declareNodes(stack, preview);
      });
      const ofGroup = (type: string, group: string) => {
        const found = scenario.resources.filter(
          (r) => r.type === type && r.parent.endsWith(`NodeGroup::${group}`),
        );
        assert.equal(found.length, 1, `${type} of ${group}`);
        return found[0];
      };
      const workerPlans = () => scenario.plan.nodeGroups.filter((g) => g.role === "worker");

      test("one Auto Scaling group per worker group, named from the group, sized from config", () => {
        const names = scenario.resources
          .filter((r) => r.type === autoScalingGroupType && r.parent.includes("NodeGroup::"))
          .map((r) => r.name)
          .sort();
        assert.deepEqual(names, scenario.config.workerGroups.map((g) => g.name).sort());
        for (const group of scenario.config.workerGroups) {
          const asg = ofGroup(autoScalingGroupType, group.name);
          assert.equal(asg.inputs.minSize, group.minSize);
          assert.equal(asg.inputs.maxSize, group.maxSize);
          assert.equal(asg.inputs.desiredCapacity, group.minSize);
        }
      });

      test("each group spans exactly its AZs' private subnets", () => {
        for (const group of workerPlans()) {
          const asg = ofGroup(autoScalingGroupType, group.name);
          const subnets = (asg.propertyDependencies.vpcZoneIdentifiers ?? []).map(urnName).sort();
          assert.deepEqual(subnets, group.availabilityZones.map((zone) => `subnet-${zone}`).sort());
        }
      });

      test("cluster-autoscaler tags, with the max-pods node template equal to config", () => {
        for (const group of scenario.config.workerGroups) {
          const tags = groupTags(ofGroup(autoScalingGroupType, group.name));
          assert.equal(tags[maxPodsTagKey], String(group.maxPods), group.name);
          assert.equal(tags["k8s.io/cluster-autoscaler/enabled"], "true");
          assert.equal(tags[`k8s.io/cluster-autoscaler/${scenario.config.clusterName}`], "owned");
        }
      });

      test("rolling instance refresh on template changes; the autoscaler owns desiredCapacity", () => {
        for (const group of scenario.config.workerGroups) {
          const asg = ofGroup(autoScalingGroupType, group.name);
          const refresh = asg.inputs.instanceRefresh as { strategy: string };
          assert.equal(refresh.strategy, "Rolling");
          const template = asg.inputs.launchTemplate as { id: string; version: string };
          assert.deepEqual((asg.propertyDependencies.launchTemplate ?? []).map(urnName), [
            group.name,
          ]);
          if (!preview) assert.deepEqual(template, { id: `${group.name}-id`, version: "3" });
          assert.deepEqual(asg.ignoreChanges, ["desiredCapacity"]);
        }
      });

      test("every worker launch template: IMDSv2, encrypted gp3, no public IP, tagged", () => {
        const problems = scenario.config.workerGroups.flatMap((group) =>
          launchTemplateProblems(ofGroup(launchTemplateType, group.name), {
            config: scenario.config,
            groupKey: group.name,
            instanceType: group.instanceType,
            rootVolumeSizeGiB: group.rootVolumeSizeGiB,
            securityGroup: "node",
            instanceProfile: "worker",
            preview,
          }),
        );
        assert.deepEqual(problems, []);
      });

      test("worker user data is secret and never carries a private key", () => {
        for (const group of scenario.config.workerGroups) {
          const template = ofGroup(launchTemplateType, group.name);
          if (preview) continue;
          assert.ok(isWireSecret(template.wireInputs.userData));
          const text = decodeWireUserData(template.wireInputs.userData);
          assert.doesNotMatch(text, /PRIVATE KEY/);
          assert.doesNotMatch(text, /\/etc\/kubernetes\/pki\//);
        }
        assert.deepEqual(plainSecretLeaks(scenario.resources, ["PRIVATE KEY"]), []);
      });

      if (!preview) {
        test("workers join with the token and CA hash, and their kubelet gets the group's maxPods", async () => {
          const join = (await new Promise((resolve) =>
            scenario.pki.joinSecrets.apply(resolve),
          )) as { bootstrapToken: string; caCertHash: string };
          for (const group of scenario.config.workerGroups) {
            const userData = parseCloudConfig(
              decodeWireUserData(ofGroup(launchTemplateType, group.name).wireInputs.userData),
            );
            assert.deepEqual(userData.runcmd, [["/usr/local/sbin/kubeadm-bootstrap", "worker"]]);
            const config = documentOfKind(
              fileContent(userData, "/etc/kubeadm/join.yaml"),
              "JoinConfiguration",
            ) as {
              discovery: { bootstrapToken: Record<string, unknown> };
              controlPlane?: unknown;
            };
            // The token is filled in on the node from the store; user data has only its placeholder.
            assert.deepEqual(config.discovery.bootstrapToken, {
              apiServerEndpoint: `${scenario.apiEndpointHost}:6443`,
              token: "__BOOTSTRAP_TOKEN__",
              caCertHashes: [join.caCertHash],
            });
            assert.ok(
              !decodeWireUserData(
                ofGroup(launchTemplateType, group.name).wireInputs.userData,
              ).includes(join.bootstrapToken),
            );
            const script = fileContent(userData, "/usr/local/sbin/kubeadm-bootstrap");
            assert.match(
              script,
              new RegExp(
                `^readonly JOIN_TOKEN_PARAMETER='/calico-cluster/${scenario.config.clusterName}/join-token'$`,
                "m",
              ),
            );
            assert.equal(config.controlPlane, undefined);
            const [patch] = yamlDocuments(
              fileContent(userData, "/etc/kubeadm/patches/kubeletconfiguration+merge.yaml"),
            );
            assert.equal(patch.maxPods, group.maxPods, group.name);
          }
        });
      }
    });
  }
}

describe("NodeGroup input errors", () => {
  before(() => {
    installMockEngine({ project: "calico-cluster", stack: "errors", preview: true });
  });
  const { config, plan } = loadExample("payments-prod");
  const base = {
    config,
    plan,
    pki: { joinSecrets: pulumi.secret({}) as never },
    secretStore: pulumi.secret({}) as never,
    apiEndpointHost: "api.example.com",
    securityGroupIds: ["sg-x"],
    instanceProfileName: "profile",
  };

  test("an unknown group is named with the known ones", () => {
    assert.throws(
      () => new NodeGroup("nope", { ...base, groupName: "nope", privateSubnetIds: {} }),
      /calico-cluster:workerGroups has no group named "nope" \(known: general, batch\)/,
    );
  });

  test("a group AZ without a private subnet names the group's config key and the AZ", () => {
    const batch = config.workerGroups.findIndex((g) => g.name === "batch");
    assert.throws(
      () =>
        new NodeGroup("batch", {
          ...base,
          groupName: "batch",
          privateSubnetIds: { "eu-west-1a": "subnet-a" },
        }),
      (error: unknown) =>
        pulumi.InputPropertiesError.isInstance(error) &&
        error.errors.length === 1 &&
        error.errors[0].propertyPath ===
          `calico-cluster:workerGroups[${batch}].availabilityZones` &&
        /"batch" include eu-west-1b/.test(error.message),
    );
  });
});
