import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { ControlPlane, masterJoinStaggerSeconds } from "../components/controlPlane";
import { installMockEngine } from "../lib/harness/mockEngine";
import { maxPodsTagKey } from "../policy/rules/wellKnown";
import { isWireSecret, mockPrivateKeyPem, plainSecretLeaks } from "./support/clusterMocks";
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
} from "./support/userData";

for (const stack of exampleStacks) {
  for (const preview of [true, false]) {
    describe(`ControlPlane, ${stack}, ${preview ? "preview" : "update"}`, () => {
      let scenario: NodeScenario;
      before(async () => {
        scenario = await declareNodes(stack, preview);
      });
      const masters = (type: string) =>
        scenario.resources.filter((r) => r.type === type && r.parent.endsWith("::control-plane"));
      /** AZ names in address-slot order: the first one runs kubeadm init. */
      const zonesBySlot = () =>
        [...scenario.plan.availabilityZones].sort((a, b) => a.slot - b.slot).map((z) => z.name);

      test("one Auto Scaling group of exactly one master per AZ, named from the AZ", () => {
        const groups = masters(autoScalingGroupType);
        assert.deepEqual(
          groups.map((g) => g.name).sort(),
          scenario.plan.availabilityZones.map((zone) => `master-${zone.name}`).sort(),
        );
        for (const group of groups) {
          assert.equal(group.inputs.minSize, 1, group.name);
          assert.equal(group.inputs.maxSize, 1, group.name);
          assert.equal(group.inputs.desiredCapacity, 1, group.name);
        }
      });

      test("each master group waits for its own AZ's NAT default route, and only that one", () => {
        for (const zone of scenario.plan.availabilityZones) {
          const group = masters(autoScalingGroupType).find((g) => g.name === `master-${zone.name}`);
          assert.ok(group);
          const routes = group.dependencies
            .map(urnName)
            .filter((name) => name.startsWith("route-"));
          assert.deepEqual(routes, [`route-${zone.name}`]);
        }
      });

      test("the first master's bootstrap reads the cluster's init marker; launch templates pin IP names", () => {
        const first = zonesBySlot()[0];
        const template = masters(launchTemplateType).find((t) => t.name === `master-${first}`);
        assert.ok(template);
        if (!preview) {
          const text = decodeWireUserData(template.wireInputs.userData);
          const script = fileContent(parseCloudConfig(text), "/usr/local/sbin/kubeadm-bootstrap");
          assert.match(
            script,
            new RegExp(
              `^readonly INIT_MARKER_PARAMETER='/calico-cluster/${scenario.config.clusterName}/kubeadm-init'$`,
              "m",
            ),
          );
        }
        for (const t of masters(launchTemplateType)) {
          assert.deepEqual(t.inputs.privateDnsNameOptions, { hostnameType: "ip-name" }, t.name);
        }
      });

      test("each master group sits in its own AZ's private subnet and registers with the API target group", () => {
        for (const zone of scenario.plan.availabilityZones) {
          const group = masters(autoScalingGroupType).find((g) => g.name === `master-${zone.name}`);
          assert.ok(group);
          const subnets = (group.propertyDependencies.vpcZoneIdentifiers ?? []).map(urnName);
          assert.deepEqual(subnets, [`subnet-${zone.name}`]);
          const targets = (group.propertyDependencies.targetGroupArns ?? []).map(urnName);
          assert.deepEqual(targets, ["api"]);
          const template = (group.propertyDependencies.launchTemplate ?? []).map(urnName);
          assert.deepEqual(template, [`master-${zone.name}`]);
          if (!preview) {
            assert.deepEqual(group.inputs.vpcZoneIdentifiers, [`subnet-${zone.name}-id`]);
            assert.deepEqual(group.inputs.launchTemplate, {
              id: `master-${zone.name}-id`,
              version: "3",
            });
          }
        }
      });

      test("every master launch template: IMDSv2, encrypted gp3, no public IP, tagged", () => {
        const templates = masters(launchTemplateType);
        assert.equal(templates.length, scenario.plan.availabilityZones.length);
        const problems = templates.flatMap((template) =>
          launchTemplateProblems(template, {
            config: scenario.config,
            groupKey: template.name,
            instanceType: scenario.config.masters.instanceType,
            rootVolumeSizeGiB: scenario.config.masters.rootVolumeSizeGiB,
            securityGroup: "master",
            instanceProfile: "master",
            preview,
          }),
        );
        assert.deepEqual(problems, []);
      });

      test("user data is a secret (unknown in a preview) and declared as a secret output", () => {
        for (const template of masters(launchTemplateType)) {
          const value = template.wireInputs.userData;
          if (preview) assert.equal(typeof value, "string", "unknown sentinel expected");
          else assert.ok(isWireSecret(value), `${template.name} userData is plain`);
          const options = scenario.options.get(`${launchTemplateType}::${template.name}`);
          assert.deepEqual(options?.additionalSecretOutputs, ["userData"]);
        }
        const leaks = plainSecretLeaks(scenario.resources, [
          "PRIVATE KEY",
          ...(preview ? [] : [mockPrivateKeyPem("pki-cluster-ca-key")]),
        ]);
        assert.deepEqual(leaks, []);
      });

      test("groups carry the masters' max-pods tag and are not autoscaled", () => {
        for (const group of masters(autoScalingGroupType)) {
          const tags = groupTags(group);
          assert.equal(tags[maxPodsTagKey], String(scenario.config.masters.maxPods));
          assert.equal(tags["k8s.io/cluster-autoscaler/enabled"], undefined);
          assert.equal(tags[`kubernetes.io/cluster/${scenario.config.clusterName}`], "owned");
        }
      });

      if (!preview) {
        test("the first AZ by slot runs kubeadm init; the others join the control plane, staggered", () => {
          const order = zonesBySlot();
          assert.equal(scenario.controlPlane.initAvailabilityZone, order[0]);
          order.forEach((zone, index) => {
            const template = masters(launchTemplateType).find((t) => t.name === `master-${zone}`);
            assert.ok(template);
            const userData = parseCloudConfig(decodeWireUserData(template.wireInputs.userData));
            const role = index === 0 ? "init" : "control-plane";
            assert.deepEqual(userData.runcmd, [
              ["/usr/local/sbin/kubeadm-bootstrap", role],
              ["systemctl", "enable", "--now", "kubeadm-lifecycle-hook.service"],
            ]);
            assert.equal(userData.files.has("/etc/kubeadm/init.yaml"), index === 0, zone);
            const join = documentOfKind(
              fileContent(userData, "/etc/kubeadm/join.yaml"),
              "JoinConfiguration",
            );
            assert.ok(join.controlPlane, `${zone} joins without controlPlane`);
            const script = fileContent(userData, "/usr/local/sbin/kubeadm-bootstrap");
            const delay = Math.max(0, index - 1) * masterJoinStaggerSeconds;
            assert.match(script, new RegExp(`^readonly JOIN_DELAY_SECONDS='${delay}'$`, "m"));
            // The shared CAs come from the store at boot, not from user data.
            const written = [...userData.files.keys()];
            assert.deepEqual(
              written.filter((p) => p.startsWith("/etc/kubernetes/pki/")),
              [],
              zone,
            );
            assert.match(
              script,
              new RegExp(
                `^readonly PKI_SECRET_ID='calico-cluster/${scenario.config.clusterName}/control-plane-pki'$`,
                "m",
              ),
            );
            assert.ok(written.includes("/etc/systemd/system/kubeadm-token-rotation.timer"), zone);
            assert.match(
              fileContent(userData, "/usr/local/sbin/kubeadm-token-rotate"),
              new RegExp(
                `^readonly KMS_KEY_ARN='arn:aws:kms:[a-z0-9-]+:123456789012:key/secrets-key-id'$`,
                "m",
              ),
            );
          });
        });

        test("the init master's kubeadm config matches the plan and config", () => {
          const template = masters(launchTemplateType).find(
            (t) => t.name === `master-${zonesBySlot()[0]}`,
          );
          assert.ok(template);
          const userData = parseCloudConfig(decodeWireUserData(template.wireInputs.userData));
          const init = fileContent(userData, "/etc/kubeadm/init.yaml");
          const cluster = documentOfKind(init, "ClusterConfiguration") as {
            networking: { podSubnet: string; serviceSubnet: string };
            controlPlaneEndpoint: string;
            kubernetesVersion: string;
          };
          assert.equal(cluster.networking.podSubnet, scenario.plan.podPool.cidr);
          assert.equal(cluster.networking.serviceSubnet, scenario.config.serviceCidr);
          assert.equal(cluster.controlPlaneEndpoint, `${scenario.apiEndpointHost}:6443`);
          assert.equal(cluster.kubernetesVersion, `v${scenario.config.kubernetesVersion}`);
          const kubelet = documentOfKind(init, "KubeletConfiguration");
          assert.equal(kubelet.maxPods, scenario.config.masters.maxPods);
          assert.equal(kubelet.cgroupDriver, "systemd");
        });
      }
    });
  }
}

describe("ControlPlane input errors", () => {
  test("a Kubernetes version kubeadm v1beta4 cannot describe is refused at once, naming the key", () => {
    installMockEngine({ project: "calico-cluster", stack: "errors", preview: true });
    const { config, plan } = loadExample(exampleStacks[0]);
    const secrets = pulumi.secret({}) as never;
    assert.throws(
      () =>
        new ControlPlane("control-plane", {
          config: { ...config, kubernetesVersion: "1.29.4" },
          plan,
          pki: { joinSecrets: secrets },
          secretStore: secrets,
          apiEndpointHost: "api.example.com",
          privateSubnetIds: {},
          securityGroupIds: ["sg-x"],
          instanceProfileName: "profile",
          apiTargetGroupArn: "arn:tg",
          initMarkerParameter: "/calico-cluster/errors/kubeadm-init",
        }),
      (error: unknown) =>
        pulumi.InputPropertiesError.isInstance(error) &&
        pulumi.RunError.isInstance(error) &&
        error.errors[0].propertyPath === "calico-cluster:kubernetesVersion" &&
        /calico-cluster:kubernetesVersion = 1\.29\.4 needs 1\.31 or later/.test(error.message),
    );
  });

  test("a missing private subnet is named", async () => {
    installMockEngine({ project: "calico-cluster", stack: "errors", preview: true });
    const { config, plan } = loadExample(exampleStacks[0]);
    const [first, ...rest] = plan.availabilityZones;
    const secrets = pulumi.secret({}) as never;
    assert.throws(
      () =>
        new ControlPlane("control-plane", {
          config,
          plan,
          pki: { joinSecrets: secrets },
          secretStore: secrets,
          apiEndpointHost: "api.example.com",
          privateSubnetIds: Object.fromEntries(rest.map((zone) => [zone.name, "subnet-x"])),
          securityGroupIds: ["sg-x"],
          instanceProfileName: "profile",
          apiTargetGroupArn: "arn:tg",
          initMarkerParameter: "/calico-cluster/errors/kubeadm-init",
        }),
      new RegExp(`availabilityZones include ${first.name}, which has no private subnet id`),
    );
  });
});
