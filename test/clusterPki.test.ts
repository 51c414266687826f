import assert from "node:assert/strict";
import { execSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, describe, test } from "node:test";
import { parse as parseYaml } from "yaml";
import { installMockEngine, type RecordedResource } from "../lib/harness/mockEngine";
import {
  clusterMockState,
  inspect,
  mockCertificatePem,
  mockPrivateKeyPem,
  mockRandomResult,
  plainSecretLeaks,
} from "./support/clusterMocks";
import { exampleStacks, loadExample } from "./support/stacks";
import { adminGroup, ClusterPki } from "../components/clusterPki";
import { bootstrapTokenPattern, discoveryTokenCaCertHash } from "../lib/api/discoveryHash";

/** The kubeadm docs' own pipeline for the hash, run by the shell. */
function opensslHash(certFile: string): string {
  const hex = execSync(
    `openssl x509 -pubkey -noout -in '${certFile}' | openssl pkey -pubin -outform der | openssl dgst -sha256 -hex`,
    { encoding: "utf8" },
  );
  return `sha256:${hex.trim().split(/\s+/).pop()}`;
}

describe("discoveryTokenCaCertHash", () => {
  for (const [label, keyArgs] of [
    ["ECDSA P-256", "-newkey ec -pkeyopt ec_paramgen_curve:P-256"],
    ["RSA 2048", "-newkey rsa:2048"],
  ] as const) {
    test(`matches openssl for a ${label} CA made by openssl`, () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ca-hash-"));
      try {
        const cert = path.join(dir, "ca.crt");
        execSync(
          `openssl req -x509 ${keyArgs} -nodes -subj /CN=kubernetes -days 1 -keyout '${path.join(dir, "ca.key")}' -out '${cert}'`,
          { stdio: "pipe" },
        );
        const expected = opensslHash(cert);
        assert.match(expected, /^sha256:[0-9a-f]{64}$/);
        assert.equal(discoveryTokenCaCertHash(fs.readFileSync(cert, "utf8")), expected);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  test("different CAs give different hashes", () => {
    assert.notEqual(
      discoveryTokenCaCertHash(mockCertificatePem("ca-one")),
      discoveryTokenCaCertHash(mockCertificatePem("ca-two")),
    );
  });

  test("refuses text that is not a certificate, saying so", () => {
    assert.throws(
      () =>
        discoveryTokenCaCertHash("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----"),
      /cluster CA certificate is not a PEM X\.509 certificate/,
    );
  });
});

const host = "pki-test-api-0123456789abcdef.elb.eu-west-1.amazonaws.com";

async function declarePki(stack: string, preview: boolean) {
  const engine = installMockEngine({
    project: "calico-cluster",
    stack,
    preview,
    state: clusterMockState,
  });
  const { config } = loadExample(stack);
  const pki = new ClusterPki("pki", { config, apiEndpointHost: host });
  const resources = await engine.settle();
  return { config, pki, resources };
}

const byName = (resources: readonly RecordedResource[], type: string, name: string) => {
  const found = resources.find((r) => r.type === type && r.name === name);
  assert.ok(found, `${type} ${name} was not declared`);
  return found;
};

for (const stack of exampleStacks) {
  for (const preview of [true, false]) {
    describe(`ClusterPki, ${stack}, ${preview ? "preview" : "update"}`, () => {
      // Declared when the suite runs (suites run one after another), not when it is defined.
      let declared: Awaited<ReturnType<typeof declarePki>>;
      before(async () => {
        declared = await declarePki(stack, preview);
      });

      test("every output is a secret", async () => {
        const outputs = {
          clusterCaCertPem: declared.pki.clusterCaCertPem,
          bootstrapToken: declared.pki.bootstrapToken,
          discoveryTokenCaCertHash: declared.pki.discoveryTokenCaCertHash,
          adminKubeconfig: declared.pki.adminKubeconfig,
          controlPlaneSecrets: declared.pki.controlPlaneSecrets,
          joinSecrets: declared.pki.joinSecrets,
        };
        for (const [key, output] of Object.entries(outputs)) {
          const { secret, known } = await inspect(output as never);
          assert.equal(secret, true, `${key} is not secret`);
          assert.equal(known, !preview, `${key} known-ness in ${preview ? "preview" : "update"}`);
        }
      });

      test("three self-signed ECDSA CAs and the service-account key", () => {
        for (const [ca, commonName] of [
          ["pki-cluster-ca", "kubernetes"],
          ["pki-front-proxy-ca", "front-proxy-ca"],
          ["pki-etcd-ca", "etcd-ca"],
        ] as const) {
          const cert = byName(declared.resources, "tls:index/selfSignedCert:SelfSignedCert", ca);
          assert.equal(cert.inputs.isCaCertificate, true);
          assert.ok((cert.inputs.allowedUses as string[]).includes("cert_signing"));
          assert.deepEqual(cert.inputs.subject, { commonName });
          assert.ok(Number(cert.inputs.validityPeriodHours) >= 5 * 8760, `${ca} validity`);
          const key = byName(declared.resources, "tls:index/privateKey:PrivateKey", `${ca}-key`);
          assert.deepEqual(key.inputs, { algorithm: "ECDSA", ecdsaCurve: "P256" });
        }
        byName(declared.resources, "tls:index/privateKey:PrivateKey", "pki-service-account-key");
      });

      test("the admin certificate is a client certificate of the cluster-admins group, signed by the cluster CA", () => {
        const request = byName(
          declared.resources,
          "tls:index/certRequest:CertRequest",
          "pki-admin",
        );
        assert.equal((request.inputs.subject as { organization: string }).organization, adminGroup);
        const cert = byName(
          declared.resources,
          "tls:index/locallySignedCert:LocallySignedCert",
          "pki-admin",
        );
        assert.deepEqual(cert.inputs.allowedUses, [
          "client_auth",
          "digital_signature",
          "key_encipherment",
        ]);
        const caDeps = cert.propertyDependencies.caCertPem ?? [];
        assert.ok(
          caDeps.some((urn) => urn.endsWith("::pki-cluster-ca")),
          "signed by another CA",
        );
      });

      test("bootstrap token parts are lower-case alphanumerics of kubeadm's lengths", () => {
        const id = byName(
          declared.resources,
          "random:index/randomPassword:RandomPassword",
          "pki-bootstrap-token-id",
        );
        const secret = byName(
          declared.resources,
          "random:index/randomPassword:RandomPassword",
          "pki-bootstrap-token-secret",
        );
        for (const [part, length] of [
          [id, 6],
          [secret, 16],
        ] as const) {
          assert.equal(part.inputs.length, length);
          assert.equal(part.inputs.upper, false);
          assert.equal(part.inputs.special, false);
        }
      });

      test("no key, token or kubeconfig travels as a plain value", () => {
        const needles = ["PRIVATE KEY"];
        if (!preview) {
          needles.push(mockRandomResult("pki-bootstrap-token-secret", 16));
        }
        assert.deepEqual(plainSecretLeaks(declared.resources, needles), []);
      });

      if (!preview) {
        test("token, CA hash and kubeconfig are built from the right pieces", async () => {
          const token = (await inspect(declared.pki.bootstrapToken)).value;
          assert.equal(
            token,
            `${mockRandomResult("pki-bootstrap-token-id", 6)}.${mockRandomResult("pki-bootstrap-token-secret", 16)}`,
          );
          assert.match(String(token), bootstrapTokenPattern);
          const caPem = mockCertificatePem("pki-cluster-ca");
          assert.equal(
            (await inspect(declared.pki.discoveryTokenCaCertHash)).value,
            discoveryTokenCaCertHash(caPem),
          );

          const secrets = (await inspect(declared.pki.controlPlaneSecrets)).value;
          assert.ok(secrets);
          assert.equal(secrets.clusterCaCertPem, caPem);
          assert.equal(secrets.clusterCaKeyPem, mockPrivateKeyPem("pki-cluster-ca-key"));
          assert.equal(secrets.frontProxyCaCertPem, mockCertificatePem("pki-front-proxy-ca"));
          assert.equal(secrets.frontProxyCaKeyPem, mockPrivateKeyPem("pki-front-proxy-ca-key"));
          assert.equal(secrets.etcdCaCertPem, mockCertificatePem("pki-etcd-ca"));
          assert.equal(secrets.etcdCaKeyPem, mockPrivateKeyPem("pki-etcd-ca-key"));
          assert.equal(secrets.serviceAccountKeyPem, mockPrivateKeyPem("pki-service-account-key"));
          assert.match(secrets.serviceAccountPublicKeyPem, /BEGIN PUBLIC KEY/);

          const join = (await inspect(declared.pki.joinSecrets)).value;
          assert.deepEqual(join, {
            bootstrapToken: token,
            caCertHash: discoveryTokenCaCertHash(caPem),
            clusterCaCertPem: caPem,
          });

          const kubeconfig = parseYaml(
            String((await inspect(declared.pki.adminKubeconfig)).value),
          ) as {
            clusters: { name: string; cluster: Record<string, string> }[];
            users: { user: Record<string, string> }[];
            "current-context": string;
            contexts: { name: string }[];
          };
          const cluster = kubeconfig.clusters[0];
          assert.equal(cluster.name, declared.config.clusterName);
          assert.equal(cluster.cluster.server, `https://${host}:6443`);
          const ca = Buffer.from(
            cluster.cluster["certificate-authority-data"],
            "base64",
          ).toString();
          assert.equal(
            new X509Certificate(ca).fingerprint256,
            new X509Certificate(caPem).fingerprint256,
          );
          const user = kubeconfig.users[0].user;
          assert.equal(
            Buffer.from(user["client-certificate-data"], "base64").toString(),
            mockCertificatePem("pki-admin"),
          );
          assert.equal(
            Buffer.from(user["client-key-data"], "base64").toString(),
            mockPrivateKeyPem("pki-admin-key"),
          );
          assert.equal(kubeconfig["current-context"], kubeconfig.contexts[0].name);
        });
      }
    });
  }
}
