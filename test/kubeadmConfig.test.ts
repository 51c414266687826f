import { apiServerPort } from "../lib/ports";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  externalCloudProviderArgs,
  kubeadmApiVersion,
  kubeadmClusterSettings,
  nodeIpPlaceholder,
  nodeNamePlaceholder,
  renderInitConfiguration,
  renderJoinConfiguration,
  renderKubeletPatch,
} from "../lib/nodes/kubeadmConfig";
import { exampleStacks, loadExample } from "./support/stacks";
import { documentOfKind, yamlDocuments } from "./support/userData";

const host = "team-api-0123456789abcdef.elb.eu-west-1.amazonaws.com";
const token = "abcdef.0123456789abcdef";
const caCertHash = `sha256:${"ab".repeat(32)}`;

interface ClusterConfiguration {
  apiVersion: string;
  clusterName: string;
  kubernetesVersion: string;
  controlPlaneEndpoint: string;
  networking: { podSubnet: string; serviceSubnet: string };
  apiServer: { certSANs: string[] };
}

for (const stack of exampleStacks) {
  describe(`kubeadm configuration, ${stack}`, () => {
    const { config, plan } = loadExample(stack);
    const settings = kubeadmClusterSettings(config, plan, host);
    const init = renderInitConfiguration(settings, {
      bootstrapToken: token,
      maxPods: config.masters.maxPods,
    });

    test("ClusterConfiguration: pod subnet from the plan, service subnet from config, the LB endpoint, the pinned version", () => {
      const cluster = documentOfKind(
        init,
        "ClusterConfiguration",
      ) as unknown as ClusterConfiguration;
      assert.equal(cluster.apiVersion, kubeadmApiVersion);
      assert.equal(cluster.networking.podSubnet, plan.podPool.cidr);
      assert.equal(cluster.networking.serviceSubnet, config.serviceCidr);
      assert.equal(cluster.controlPlaneEndpoint, `${host}:${apiServerPort}`);
      assert.equal(cluster.kubernetesVersion, `v${config.kubernetesVersion}`);
      assert.equal(cluster.clusterName, config.clusterName);
      assert.ok(cluster.apiServer.certSANs.includes(host));
    });

    test("every document carries node-ip, the image repository and room for the load balancer in API calls", () => {
      const cluster = documentOfKind(init, "ClusterConfiguration") as { imageRepository: string };
      assert.equal(cluster.imageRepository, config.registryMirror ?? "registry.k8s.io");
      const join = renderJoinConfiguration(settings, {
        bootstrapToken: token,
        caCertHash,
        controlPlane: true,
      });
      for (const [kind, text] of [
        ["InitConfiguration", init],
        ["JoinConfiguration", join],
      ] as const) {
        const document = documentOfKind(text, kind) as {
          nodeRegistration: { kubeletExtraArgs: { name: string; value: string }[] };
          timeouts: { kubernetesAPICall: string };
        };
        assert.deepEqual(
          document.nodeRegistration.kubeletExtraArgs,
          [{ name: "node-ip", value: nodeIpPlaceholder }, ...externalCloudProviderArgs],
          kind,
        );
        assert.equal(document.timeouts.kubernetesAPICall, "5m0s", kind);
      }
    });

    test("InitConfiguration: a bootstrap token with kubeadm's 24h TTL, node identity from the instance", () => {
      const initConfiguration = documentOfKind(init, "InitConfiguration") as {
        apiVersion: string;
        bootstrapTokens: { token: string; ttl: string; usages: string[] }[];
        nodeRegistration: { name: string; criSocket: string };
        localAPIEndpoint: { advertiseAddress: string; bindPort: number };
      };
      assert.equal(initConfiguration.apiVersion, kubeadmApiVersion);
      assert.equal(initConfiguration.bootstrapTokens.length, 1);
      assert.equal(initConfiguration.bootstrapTokens[0].token, token);
      assert.equal(initConfiguration.bootstrapTokens[0].ttl, "24h");
      assert.deepEqual(initConfiguration.bootstrapTokens[0].usages.sort(), [
        "authentication",
        "signing",
      ]);
      assert.equal(initConfiguration.nodeRegistration.name, nodeNamePlaceholder);
      assert.match(initConfiguration.nodeRegistration.criSocket, /containerd\.sock$/);
      assert.deepEqual(initConfiguration.localAPIEndpoint, {
        advertiseAddress: nodeIpPlaceholder,
        bindPort: apiServerPort,
      });
    });

    test("KubeletConfiguration: systemd cgroups and the masters' maxPods", () => {
      const kubelet = documentOfKind(init, "KubeletConfiguration");
      assert.equal(kubelet.apiVersion, "kubelet.config.k8s.io/v1beta1");
      assert.equal(kubelet.cgroupDriver, "systemd");
      assert.equal(kubelet.maxPods, config.masters.maxPods);
    });

    test("every worker group's kubelet patch carries its own maxPods", () => {
      for (const group of plan.nodeGroups) {
        const [patch] = yamlDocuments(renderKubeletPatch(group.maxPods));
        assert.equal(patch.maxPods, group.maxPods, group.name);
        assert.equal(patch.cgroupDriver, "systemd");
      }
    });

    test("JoinConfiguration pins the CA hash; only masters get a control-plane section", () => {
      for (const controlPlane of [true, false]) {
        const join = documentOfKind(
          renderJoinConfiguration(settings, { bootstrapToken: token, caCertHash, controlPlane }),
          "JoinConfiguration",
        ) as {
          apiVersion: string;
          discovery: { bootstrapToken: Record<string, unknown> };
          nodeRegistration: { name: string };
          controlPlane?: { localAPIEndpoint: { advertiseAddress: string } };
          patches: { directory: string };
        };
        assert.equal(join.apiVersion, kubeadmApiVersion);
        assert.deepEqual(join.discovery.bootstrapToken, {
          apiServerEndpoint: `${host}:${apiServerPort}`,
          token,
          caCertHashes: [caCertHash],
        });
        assert.equal(join.nodeRegistration.name, nodeNamePlaceholder);
        assert.equal(
          join.controlPlane?.localAPIEndpoint.advertiseAddress,
          controlPlane ? nodeIpPlaceholder : undefined,
        );
        assert.equal(join.patches.directory, "/etc/kubeadm/patches");
      }
    });
  });
}

describe("kubeadmClusterSettings", () => {
  const { config, plan } = loadExample(exampleStacks[0]);

  test("refuses an endpoint host that is not a DNS name, naming it", () => {
    for (const bad of ["api example", "api;rm -rf /", "", "-api.example.com", "a'b"]) {
      assert.throws(
        () => kubeadmClusterSettings(config, plan, bad),
        new RegExp(
          `the API endpoint host ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a DNS name`,
        ),
      );
    }
  });

  test("refuses a Kubernetes version older than kubeadm's v1beta4, naming the key", () => {
    assert.throws(
      () => kubeadmClusterSettings({ ...config, kubernetesVersion: "1.30.9" }, plan, host),
      /calico-cluster:kubernetesVersion = 1\.30\.9 needs 1\.31 or later \(kubeadm's v1beta4 config\)/,
    );
    assert.doesNotThrow(() =>
      kubeadmClusterSettings({ ...config, kubernetesVersion: "1.31.0" }, plan, host),
    );
  });

  test("accepts load balancer names and addresses", () => {
    for (const good of [host, "internal-x-1.elb.us-east-1.amazonaws.com", "10.0.0.10"]) {
      assert.equal(kubeadmClusterSettings(config, plan, good).controlPlaneEndpointHost, good);
    }
  });
});
