/**
 * `no-secrets-in-user-data` through the Analyzer protocol, the pack started as
 * the CLI starts it: launch templates and instances whose user data holds a
 * private key or a kubeadm token (plain, base64, gzip, MIME multipart,
 * write_files encodings, secret-wrapped) are rejected, naming the resource and
 * what was found but never the value; the program's own user data, unknown
 * user data and clean user data pass.
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import {
  type AnalyzerResourceInput,
  type Diagnostic,
  unknownSentinel,
} from "../lib/analyzer/client";
import { encodeUserData } from "../lib/nodes/cloudInit";
import { renderStackUserData, sampleSecrets } from "../scripts/render-user-data";
import { findUserDataSecrets } from "../policy/rules/userDataSecrets";
import { startedPack } from "./support/packBuild";
import { programResources, types, urnOf, withProperties } from "./support/policyResources";
import { exampleStacks, loadExample } from "./support/stacks";

const { plan } = loadExample("payments-prod");
const groupName = plan.nodeGroups[0].name;
const templateUrn = urnOf(types.launchTemplate, groupName);
const { join, pki } = sampleSecrets();
const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");
const wrap = (text: string, width: number) =>
  text.match(new RegExp(`.{1,${width}}`, "g"))!.join("\n");

/** The old design's user data: the CA key as a write_files entry, the token in join.yaml. */
const legacyUserData = [
  "#cloud-config",
  "write_files:",
  "  - path: /etc/kubernetes/pki/ca.key",
  "    permissions: '0600'",
  "    content: |",
  ...pki.clusterCaKeyPem
    .trimEnd()
    .split("\n")
    .map((line) => `      ${line}`),
  "  - path: /etc/kubeadm/join.yaml",
  "    content: |",
  "      discovery:",
  "        bootstrapToken:",
  `          token: ${join.bootstrapToken}`,
  "",
].join("\n");

const pack = startedPack();

const withUserData = (userData: unknown) =>
  withProperties(
    programResources(plan, "update"),
    groupName,
    (props) => ({ ...props, userData }),
    types.launchTemplate,
  );
/** Analyze per resource, as the engine registers each; AnalyzeStack must not report it again. */
const violations = async (inputs: readonly AnalyzerResourceInput[]) => {
  const mine = (diagnostics: readonly Diagnostic[]) =>
    diagnostics.filter((d) => d.policyName === "no-secrets-in-user-data");
  const perResource = await Promise.all(inputs.map((input) => pack().analyze(input)));
  assert.deepEqual(mine((await pack().analyzeStack(inputs)).diagnostics), []);
  return perResource.flatMap((result) => mine(result.diagnostics));
};

describe("no-secrets-in-user-data over the Analyzer protocol", () => {
  it("rejects a launch template carrying a CA key and a token, naming both and neither value", async () => {
    const found = await violations(withUserData(b64(legacyUserData)));
    assert.equal(found.length, 1);
    const [diagnostic] = found;
    assert.equal(diagnostic.enforcementLevel, "mandatory");
    assert.equal(diagnostic.urn, templateUrn);
    assert.match(diagnostic.message, /\[secret-in-user-data\]/);
    assert.match(diagnostic.message, new RegExp(`LaunchTemplate ${groupName}: userData holds`));
    assert.match(diagnostic.message, /EC PRIVATE KEY/);
    assert.match(diagnostic.message, /kubeadm bootstrap token/);
    assert.match(diagnostic.message, /Secrets Manager or an SSM SecureString/);
    assert.ok(!diagnostic.message.includes(join.bootstrapToken));
    assert.ok(!diagnostic.message.includes(join.bootstrapToken.split(".")[1]));
    assert.ok(!diagnostic.message.includes(pki.clusterCaKeyPem.split("\n")[1]));
  });

  it("sees through gzip, MIME multipart and write_files b64 / gz+b64 encodings", async () => {
    const encodedFiles = [
      "#cloud-config",
      "write_files:",
      "  - path: /etc/kubernetes/pki/sa.key",
      "    encoding: gz+b64",
      `    content: ${b64(gzipSync(pki.serviceAccountKeyPem))}`,
      "",
    ].join("\n");
    const mime = [
      'Content-Type: multipart/mixed; boundary="==BOUNDARY=="',
      "MIME-Version: 1.0",
      "",
      "--==BOUNDARY==",
      'Content-Type: text/cloud-config; charset="us-ascii"',
      "Content-Transfer-Encoding: base64",
      "",
      wrap(b64(encodedFiles), 76),
      "--==BOUNDARY==--",
      "",
    ].join("\n");
    for (const userData of [b64(gzipSync(encodedFiles)), b64(mime), b64(gzipSync(mime))]) {
      const found = await violations(withUserData(userData));
      assert.equal(found.length, 1, userData.slice(0, 20));
      assert.match(found[0].message, /EC PRIVATE KEY \(after decoding base64/);
    }
  });

  it("rejects an instance whose plain user data (a secret on the wire) holds a token", async () => {
    const instance: AnalyzerResourceInput = {
      type: "aws:ec2/instance:Instance",
      name: "bastion",
      urn: urnOf("aws:ec2/instance:Instance", "bastion"),
      properties: {
        userData: {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: `#!/bin/bash\nkubeadm join api:6443 --token ${join.bootstrapToken} --discovery-token-unsafe-skip-ca-verification\n`,
        },
      },
    };
    const found = await violations([...programResources(plan, "update"), instance]);
    assert.deepEqual(
      found.map((d) => d.urn),
      [instance.urn],
    );
    assert.match(found[0].message, /userData holds a kubeadm bootstrap token\./);
  });

  it("passes the program's own user data for every example stack and node", async () => {
    for (const example of exampleStacks) {
      for (const rendered of renderStackUserData(example)) {
        const found = await violations(withUserData(b64(encodeUserData(rendered.text))));
        assert.deepEqual(found, [], `${example} ${rendered.node}`);
      }
    }
  });

  it("passes unknown user data (a preview), odd values and text that only looks like a token", async () => {
    const clean = [
      unknownSentinel,
      null,
      42,
      "",
      b64(
        "#cloud-config\nruncmd: [[echo, ip-10-0-1-5.eu-west-1.compute.internal, __BOOTSTRAP_TOKEN__]]\n",
      ),
      b64(gzipSync("x".repeat(1 << 20))),
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
    ];
    for (const userData of clean) {
      assert.deepEqual(await violations(withUserData(userData)), [], String(userData).slice(0, 30));
    }
  });
});

describe("the user data decoder", () => {
  it("reads each layer once and stops at its depth and size bounds", () => {
    let nested = pki.etcdCaKeyPem;
    for (let layer = 0; layer < 8; layer++) nested = b64(gzipSync(nested));
    assert.deepEqual(findUserDataSecrets(nested), [], "deeper than cloud-init nests");
    const bomb = b64(gzipSync(Buffer.alloc(64 * 1024 * 1024)));
    const started = process.hrtime.bigint();
    assert.deepEqual(findUserDataSecrets(bomb), []);
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n, "a gzip bomb is cut short");
  });

  it("is linear: 16 times the input takes about 16 times as long, not 256", () => {
    const time = (copies: number) => {
      const text = `${"QUJD".repeat(10)} plain words and= ==symbols\n`.repeat(copies);
      const started = process.hrtime.bigint();
      findUserDataSecrets(text);
      return Number(process.hrtime.bigint() - started);
    };
    time(500);
    const small = Math.min(time(2000), time(2000));
    const large = Math.min(time(32000), time(32000));
    assert.ok(large < small * 64, `${small} ns → ${large} ns`);
  });
});
