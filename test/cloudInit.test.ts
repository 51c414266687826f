import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { renderBootstrapScript } from "../lib/nodes/bootstrapScript";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import {
  encodeUserData,
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
import {
  renderStackUserData,
  sampleApiHost,
  sampleSecrets,
  sampleStore,
} from "../scripts/render-user-data";
import { exampleStacks, loadExample } from "./support/stacks";
import {
  type CloudConfig,
  documentOfKind,
  cloudConfigText,
  fileContent,
  parseCloudConfig,
  yamlDocuments,
} from "./support/userData";

/** The value of a `readonly NAME='value'` line of the bootstrap script. */
function scriptConstant(script: string, name: string): string {
  const match = new RegExp(`^readonly ${name}='([^']*)'$`, "m").exec(script);
  assert.ok(match, `the script sets no ${name}`);
  return match[1];
}

const script = (userData: CloudConfig) =>
  fileContent(userData, "/usr/local/sbin/kubeadm-bootstrap");

for (const stack of exampleStacks) {
  describe(`cloud-init user data, ${stack}`, () => {
    const { config, plan } = loadExample(stack);
    const host = sampleApiHost(config.clusterName, config.region);
    const settings = kubeadmClusterSettings(config, plan, host);
    const { join, pki } = sampleSecrets();
    const store = sampleStore(config.clusterName, config.region);
    const masterText = (role: "init" | "control-plane") =>
      renderMasterUserData({
        settings,
        role,
        maxPods: config.masters.maxPods,
        join,
        store,
        region: config.region,
      });
    const master = (role: "init" | "control-plane") => parseCloudConfig(masterText(role));

    test("masters carry no key and no token: the script names the store it reads them from", () => {
      for (const role of ["init", "control-plane"] as const) {
        const text = masterText(role);
        assert.doesNotMatch(text, /PRIVATE KEY/);
        for (const secret of [join.bootstrapToken, pki.clusterCaKeyPem, pki.serviceAccountKeyPem]) {
          assert.ok(!text.includes(secret), role);
        }
        const userData = parseCloudConfig(text);
        assert.deepEqual(
          [...userData.files.keys()].filter((p) => p.startsWith("/etc/kubernetes/")),
          [],
        );
        const bootstrap = script(userData);
        assert.equal(scriptConstant(bootstrap, "CLUSTER_CA"), "/etc/kubernetes/pki/ca.crt");
        assert.equal(scriptConstant(bootstrap, "PKI_SECRET_ID"), store.pkiSecretName);
        assert.equal(
          scriptConstant(bootstrap, "JOIN_TOKEN_PARAMETER"),
          store.joinTokenParameterName,
        );
        assert.equal(scriptConstant(bootstrap, "AWS_REGION_NAME"), config.region);
        const rotation = fileContent(userData, "/usr/local/sbin/kubeadm-token-rotate");
        assert.equal(scriptConstant(rotation, "KMS_KEY_ARN"), store.kmsKeyArn);
        assert.equal(
          userData.files.get("/usr/local/sbin/kubeadm-token-rotate")?.permissions,
          "0700",
        );
        const timer = fileContent(userData, "/etc/systemd/system/kubeadm-token-rotation.timer");
        assert.match(timer, /^OnUnitActiveSec=1h$/m);
        const service = fileContent(userData, "/etc/systemd/system/kubeadm-token-rotation.service");
        assert.match(service, /^ExecStart=\/usr\/local\/sbin\/kubeadm-token-rotate$/m);
      }
    });

    test("the first join token expires after kubeadm's 24h; every token in a kubeadm file is the placeholder", () => {
      const init = master("init");
      const [initConfiguration] = yamlDocuments(fileContent(init, "/etc/kubeadm/init.yaml")) as {
        bootstrapTokens: { token: string; ttl: string }[];
      }[];
      assert.deepEqual(
        initConfiguration.bootstrapTokens.map((t) => [t.token, t.ttl]),
        [["__BOOTSTRAP_TOKEN__", "24h"]],
      );
      const joinConfiguration = documentOfKind(
        fileContent(init, "/etc/kubeadm/join.yaml"),
        "JoinConfiguration",
      ) as { discovery: { bootstrapToken: { token: string } } };
      assert.equal(joinConfiguration.discovery.bootstrapToken.token, "__BOOTSTRAP_TOKEN__");
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

    test("workers get the CA hash and the CA certificate, and neither key nor token", () => {
      for (const group of config.workerGroups) {
        const text = renderWorkerUserData({ settings, maxPods: group.maxPods, join, store });
        assert.doesNotMatch(text, /PRIVATE KEY/);
        assert.ok(!text.includes(join.bootstrapToken));
        assert.ok(!text.includes("kubeadm-token-rotate"), "workers never rotate the token");
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
        assert.equal(joinConfig.discovery.bootstrapToken.token, "__BOOTSTRAP_TOKEN__");
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

    test("script hygiene: inherit_errexit, a restrictive umask, bounded metadata calls", () => {
      const text = script(master("init"));
      assert.match(text, /^shopt -s inherit_errexit$/m);
      assert.match(text, /^umask 077$/m);
      for (const line of text.split("\n").filter((l) => l.includes('"$IMDS/latest'))) {
        assert.ok(
          /--max-time \d+/.test(text.slice(text.indexOf(line) - 200, text.indexOf(line))),
          line,
        );
      }
      assert.equal(
        scriptConstant(text, "IMAGE_REPOSITORY"),
        config.registryMirror ?? "registry.k8s.io",
      );
    });

    test("every node's user data fits EC2's 16 KiB gzip'd, and encodes the same every time", () => {
      for (const rendered of renderStackUserData(stack)) {
        const encoded = encodeUserData(rendered.text);
        assert.ok(encoded.length < maxUserDataBytes, `${rendered.node}: ${encoded.length} bytes`);
        assert.equal(gunzipSync(encoded).toString("utf8"), rendered.text);
        assert.deepEqual(encodeUserData(rendered.text), encoded);
        assert.deepEqual([...encoded.subarray(4, 10)], [0, 0, 0, 0, 2, 3], "mtime 0, Unix");
        assert.deepEqual(rendered.payload, encoded, rendered.node);
        assert.equal(cloudConfigText(rendered.payload), rendered.text);
      }
    });
  });
}

describe("limits and refusals", () => {
  const { config, plan } = loadExample(exampleStacks[0]);
  const settings = kubeadmClusterSettings(config, plan, "api.example.com");
  const { join } = sampleSecrets();
  const store = sampleStore(config.clusterName, config.region);

  test("user data over 16 KiB gzip'd is refused with its size", () => {
    // Hex does not compress below half its size.
    const huge = { ...store, pkiSecretName: randomBytes(maxUserDataBytes * 2).toString("hex") };
    assert.throws(
      () =>
        renderMasterUserData({
          settings,
          role: "init",
          maxPods: 110,
          join,
          store: huge,
          region: "eu-west-1",
        }),
      /the init user data is \d+ bytes gzip'd; EC2 accepts at most 16384/,
    );
  });

  test("the script refuses values that are unsafe to embed", () => {
    const base = {
      kubernetesVersion: "1.34.2",
      apiEndpointHost: "api.example.com",
      clusterCaPath: "/ca.crt",
      store,
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
      () => renderBootstrapScript({ ...base, store: { ...store, pkiSecretName: "a'b" } }),
      /PKI_SECRET_ID "a'b" is not safe to embed/,
    );
    assert.throws(
      () => renderBootstrapScript({ ...base, joinDelaySeconds: -1 }),
      /joinDelaySeconds must be an integer of at least 0/,
    );
  });
});
