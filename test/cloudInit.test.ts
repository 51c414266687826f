import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderBootstrapScript } from "../lib/nodes/bootstrapScript";
import {
  maxUserDataBytes,
  renderMasterUserData,
  renderWorkerUserData,
  workerClusterCaPath,
} from "../lib/nodes/cloudInit";
import {
  kubeadmClusterSettings,
  nodeIpPlaceholder,
  nodeNamePlaceholder,
} from "../lib/nodes/kubeadmConfig";
import { renderStackUserData, sampleApiHost, sampleSecrets } from "../scripts/render-user-data";
import { exampleStacks, loadExample } from "./support/stacks";
import {
  type CloudConfig,
  documentOfKind,
  fileContent,
  parseCloudConfig,
} from "./support/userData";

/** The value of a `readonly NAME='value'` line of the bootstrap script. */
function scriptConstant(script: string, name: string): string {
  const match = new RegExp(`^readonly ${name}='([^']*)'$`, "m").exec(script);
  assert.ok(match, `the script sets no ${name}`);
  return match[1];
}

const script = (userData: CloudConfig) =>
  fileContent(userData, "/usr/local/sbin/kubeadm-bootstrap");

const pkiFiles = {
  "ca.crt": ["clusterCaCertPem", "0644"],
  "ca.key": ["clusterCaKeyPem", "0600"],
  "front-proxy-ca.crt": ["frontProxyCaCertPem", "0644"],
  "front-proxy-ca.key": ["frontProxyCaKeyPem", "0600"],
  "etcd/ca.crt": ["etcdCaCertPem", "0644"],
  "etcd/ca.key": ["etcdCaKeyPem", "0600"],
  "sa.key": ["serviceAccountKeyPem", "0600"],
  "sa.pub": ["serviceAccountPublicKeyPem", "0644"],
} as const;

for (const stack of exampleStacks) {
  describe(`cloud-init user data, ${stack}`, () => {
    const { config, plan } = loadExample(stack);
    const host = sampleApiHost(config.clusterName, config.region);
    const settings = kubeadmClusterSettings(config, plan, host);
    const { join, pki } = sampleSecrets();
    const master = (role: "init" | "control-plane") =>
      parseCloudConfig(
        renderMasterUserData({
          settings,
          role,
          maxPods: config.masters.maxPods,
          join,
          pki,
          region: config.region,
        }),
      );

    test("masters get every shared CA and key at kubeadm's paths, keys readable by root only", () => {
      for (const role of ["init", "control-plane"] as const) {
        const userData = master(role);
        for (const [file, [secret, permissions]] of Object.entries(pkiFiles)) {
          const written = userData.files.get(`/etc/kubernetes/pki/${file}`);
          assert.equal(written?.content, pki[secret], `${role} ${file}`);
          assert.equal(written?.permissions, permissions, `${role} ${file}`);
        }
        assert.equal(scriptConstant(script(userData), "CLUSTER_CA"), "/etc/kubernetes/pki/ca.crt");
      }
    });

    test("the first master can init and, if replaced, join; the others only join", () => {
      const init = master("init");
      assert.deepEqual(init.runcmd, [
        ["/usr/local/sbin/kubeadm-bootstrap", "init"],
        ["systemctl", "enable", "--now", "kubeadm-lifecycle-hook.service"],
      ]);
      documentOfKind(fileContent(init, "/etc/kubeadm/init.yaml"), "ClusterConfiguration");
      const rejoin = documentOfKind(
        fileContent(init, "/etc/kubeadm/join.yaml"),
        "JoinConfiguration",
      );
      assert.ok(
        rejoin.controlPlane,
        "the first master's fallback join is not a control-plane join",
      );
      const other = master("control-plane");
      assert.deepEqual(other.runcmd, [
        ["/usr/local/sbin/kubeadm-bootstrap", "control-plane"],
        ["systemctl", "enable", "--now", "kubeadm-lifecycle-hook.service"],
      ]);
      assert.equal(other.files.has("/etc/kubeadm/init.yaml"), false);
    });

    test("workers get the token, the CA hash and the CA certificate, and no key", () => {
      for (const group of config.workerGroups) {
        const text = renderWorkerUserData({ settings, maxPods: group.maxPods, join });
        assert.doesNotMatch(text, /PRIVATE KEY/);
        const userData = parseCloudConfig(text);
        assert.equal(
          [...userData.files.keys()].some((p) => p.startsWith("/etc/kubernetes/")),
          false,
        );
        assert.equal(fileContent(userData, workerClusterCaPath), join.clusterCaCertPem);
        assert.equal(scriptConstant(script(userData), "CLUSTER_CA"), workerClusterCaPath);
        const joinConfig = documentOfKind(
          fileContent(userData, "/etc/kubeadm/join.yaml"),
          "JoinConfiguration",
        ) as {
          discovery: { bootstrapToken: { token: string; caCertHashes: string[] } };
        };
        assert.equal(joinConfig.discovery.bootstrapToken.token, join.bootstrapToken);
        assert.deepEqual(joinConfig.discovery.bootstrapToken.caCertHashes, [join.caCertHash]);
        assert.deepEqual(userData.runcmd, [["/usr/local/sbin/kubeadm-bootstrap", "worker"]]);
      }
    });

    test("kernel modules and sysctls for containerd, bridged traffic and forwarding", () => {
      const userData = master("init");
      const modules = fileContent(userData, "/etc/modules-load.d/kubernetes.conf").split("\n");
      assert.ok(modules.includes("overlay") && modules.includes("br_netfilter"));
      const sysctl = fileContent(userData, "/etc/sysctl.d/90-kubernetes.conf");
      assert.match(sysctl, /^net\.ipv4\.ip_forward = 1$/m);
      assert.match(sysctl, /^net\.bridge\.bridge-nf-call-iptables = 1$/m);
    });

    test("the script installs the configured version and fills in the placeholders the kubeadm files use", () => {
      const userData = master("init");
      const text = script(userData);
      assert.equal(scriptConstant(text, "KUBERNETES_VERSION"), config.kubernetesVersion);
      const [major, minor] = config.kubernetesVersion.split(".");
      assert.equal(scriptConstant(text, "KUBERNETES_MINOR"), `v${major}.${minor}`);
      assert.equal(scriptConstant(text, "API_ENDPOINT"), `${host}:6443`);
      assert.match(text, /"kubeadm=\$KUBERNETES_VERSION-\*"/);
      assert.match(text, /apt-mark hold kubelet kubeadm kubectl containerd/);
      assert.match(text, /SystemdCgroup = true/);
      assert.match(text, /X-aws-ec2-metadata-token-ttl-seconds/);
      assert.equal(scriptConstant(text, "NODE_NAME_PLACEHOLDER"), nodeNamePlaceholder);
      assert.equal(scriptConstant(text, "NODE_IP_PLACEHOLDER"), nodeIpPlaceholder);
      const configDir = scriptConstant(text, "CONFIG_DIR");
      for (const name of ["INIT_CONFIG", "JOIN_CONFIG"]) {
        const file = `${configDir}/${scriptConstant(text, name)}`;
        assert.match(fileContent(userData, file), new RegExp(nodeNamePlaceholder), file);
      }
      assert.equal(userData.files.get("/usr/local/sbin/kubeadm-bootstrap")?.permissions, "0700");
    });

    test("every node's user data fits EC2's 16 KiB with realistic secrets", () => {
      for (const rendered of renderStackUserData(stack)) {
        const bytes = Buffer.byteLength(rendered.text);
        assert.ok(bytes < maxUserDataBytes, `${rendered.node}: ${bytes} bytes`);
      }
    });
  });
}

describe("limits and refusals", () => {
  const { config, plan } = loadExample(exampleStacks[0]);
  const settings = kubeadmClusterSettings(config, plan, "api.example.com");
  const { join, pki } = sampleSecrets();

  test("user data over 16 KiB is refused with its size", () => {
    const huge = { ...pki, etcdCaKeyPem: "x".repeat(maxUserDataBytes) };
    assert.throws(
      () =>
        renderMasterUserData({
          settings,
          role: "init",
          maxPods: 110,
          join,
          pki: huge,
          region: "eu-west-1",
        }),
      /the init user data is \d+ bytes; EC2 accepts at most 16384/,
    );
  });

  test("the script refuses values that are unsafe to embed", () => {
    const base = {
      kubernetesVersion: "1.34.2",
      apiEndpointHost: "api.example.com",
      clusterCaPath: "/ca.crt",
    };
    assert.throws(
      () => renderBootstrapScript({ ...base, kubernetesVersion: "1.34" }),
      /kubernetesVersion "1.34" is not x\.y\.z/,
    );
    assert.throws(
      () => renderBootstrapScript({ ...base, apiEndpointHost: "a b" }),
      /API endpoint host "a b"/,
    );
    assert.throws(
      () => renderBootstrapScript({ ...base, clusterCaPath: "/it's" }),
      /CLUSTER_CA must not contain a single quote/,
    );
    assert.throws(
      () => renderBootstrapScript({ ...base, joinDelaySeconds: -1 }),
      /joinDelaySeconds must be a non-negative integer/,
    );
  });
});
