/**
 * The node side of the secret store, run for real against stand-in `aws` and
 * `kubeadm` commands on PATH (test/support/secretStandIns.ts): the bootstrap's
 * fetch functions exactly as rendered into the bootstrap script, and the
 * rendered token rotation script. Success, a missing secret, a denied call, an
 * expired token: files land 0600, an error is one clear line naming the store,
 * and nothing secret reaches stdout or the logs.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { renderBootstrapScript } from "../lib/nodes/bootstrapScript";
import { bootstrapTokenPlaceholder } from "../lib/nodes/kubeadmConfig";
import { encodePkiBundle } from "../lib/nodes/pkiBundle";
import { renderSecretFetch } from "../lib/nodes/secretFetch";
import { pkiBundleFiles, secretStoreNamesFor } from "../lib/nodes/secretStore";
import { renderTokenRotationScript } from "../lib/nodes/tokenRotation";
import { sampleSecrets } from "../scripts/render-user-data";
import { type StandInRoot, standInRoot } from "./support/secretStandIns";

const store = {
  region: "eu-west-1",
  ...secretStoreNamesFor("payments-prod"),
  kmsKeyArn: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
};
const { join, pki } = sampleSecrets();
const tokenSecretPart = join.bootstrapToken.split(".")[1];
let root: StandInRoot;

beforeEach(() => {
  root = standInRoot();
});
afterEach(() => {
  root.remove();
});

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(script: string, args: readonly string[] = [], input?: string): Run {
  const file = path.join(root.dir, "script.sh");
  fs.writeFileSync(file, script, { mode: 0o700 });
  const result = spawnSync("bash", [file, ...args], {
    encoding: "utf8",
    input,
    env: { PATH: root.path, HOME: root.dir, TMPDIR: root.dir },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The fetch functions as the bootstrap renders them, pointed at the scratch root. */
function fetchDriver(): string {
  const options = {
    store,
    tokenPlaceholder: bootstrapTokenPlaceholder,
    attempts: 3,
    intervalSeconds: 1,
    pkiDirectory: path.join(root.dir, "pki"),
    tokenFile: path.join(root.dir, "run", "join-token"),
  };
  const functions = renderSecretFetch(options);
  const bootstrap = renderBootstrapScript({
    kubernetesVersion: "1.34.2",
    apiEndpointHost: "api.example.com",
    clusterCaPath: "/ca.crt",
    store,
    secretFetch: options,
  });
  assert.ok(bootstrap.includes(functions), "the bootstrap ships these functions");
  return [
    "#!/bin/bash",
    "set -euo pipefail",
    'log() { echo "kubeadm-bootstrap (test): $*" >&2; }',
    functions,
    '"$@"',
  ].join("\n");
}

const assertNoSecrets = (text: string, where: string) => {
  assert.ok(!text.includes(tokenSecretPart), `${where} shows the token`);
  assert.doesNotMatch(text, /PRIVATE KEY|MHcC/, `${where} shows a key`);
};

describe("fetching the PKI and the join token at boot", () => {
  test("writes every PKI file and the token 0600, fills the token in, prints nothing", () => {
    root.write("store/pki", encodePkiBundle(pki));
    root.write("store/token", join.bootstrapToken);
    const driver = fetchDriver();
    for (const step of ["fetch_control_plane_pki", "fetch_join_token"]) {
      const result = run(driver, [step]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "", `${step} printed to stdout`);
      assertNoSecrets(result.stderr, step);
    }
    for (const file of pkiBundleFiles) {
      assert.equal(root.mode(`pki/${file}`), 0o600, file);
    }
    assert.equal(root.read("pki/ca.key"), pki.clusterCaKeyPem);
    assert.equal(root.read("pki/sa.pub"), pki.serviceAccountPublicKeyPem);
    assert.equal(root.mode("run/join-token"), 0o600);
    const filled = run(driver, ["fill_join_token"], `token: ${bootstrapTokenPlaceholder}\nx: y\n`);
    assert.equal(filled.stdout, `token: ${join.bootstrapToken}\nx: y\n`);
    // The token never travels as a process argument.
    assertNoSecrets(root.calls().join("\n"), "aws arguments");
  });

  for (const [mode, error] of [
    ["missing", "ResourceNotFoundException"],
    ["denied", "AccessDeniedException"],
  ] as const) {
    test(`a ${mode} store is retried, then reported once, naming the store and AWS's error`, () => {
      root.write("mode", mode);
      const driver = fetchDriver();
      const pkiRun = run(driver, ["fetch_control_plane_pki"]);
      assert.notEqual(pkiRun.status, 0);
      const lines = pkiRun.stderr.trim().split("\n");
      assert.equal(lines.length, 1, pkiRun.stderr);
      assert.match(
        lines[0],
        new RegExp(
          `^kubeadm-bootstrap \\(test\\): ERROR: could not read the control-plane PKI \\(Secrets Manager secret ${store.pkiSecretName} in eu-west-1\\) after 3 attempts: .*${error}`,
        ),
      );
      assert.equal(root.calls().length, 3);
      assert.equal(fs.existsSync(path.join(root.dir, "pki", "ca.key")), false);
      const tokenRun = run(driver, ["fetch_join_token"]);
      assert.notEqual(tokenRun.status, 0);
      assert.match(
        tokenRun.stderr,
        new RegExp(
          `ERROR: could not read the join token \\(SSM parameter ${store.joinTokenParameterName} in eu-west-1\\) after 3 attempts: .*${error}`,
        ),
      );
      assert.equal(tokenRun.stdout, "");
    });
  }

  test("refuses a bundle entry outside kubeadm's PKI files, or a bundle missing one", () => {
    const driver = fetchDriver();
    root.write("store/pki", `../../etc/cron.d/x ${Buffer.from("boom").toString("base64")}\n`);
    const tampered = run(driver, ["fetch_control_plane_pki"]);
    assert.notEqual(tampered.status, 0);
    assert.match(tampered.stderr, /holds an entry that is not one of: ca\.crt/);
    assert.equal(fs.existsSync(path.join(root.dir, "etc")), false);
    root.write("store/pki", encodePkiBundle(pki).split("\n").slice(1).join("\n"));
    const partial = run(driver, ["fetch_control_plane_pki"]);
    assert.notEqual(partial.status, 0);
    assert.match(partial.stderr, /ERROR: the control-plane PKI .* has no ca\.crt$/m);
  });

  test("refuses a stored value that is not a kubeadm token, without printing it", () => {
    root.write("store/token", "not-a-token-but-secret");
    const result = run(fetchDriver(), ["fetch_join_token"]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /does not hold a kubeadm bootstrap token/);
    assert.ok(!result.stderr.includes("not-a-token-but-secret"));
  });
});

describe("rotating the stored join token", () => {
  const rotation = () =>
    renderTokenRotationScript({ store, kubeconfig: "/etc/kubernetes/admin.conf", attempts: 2 });
  const iso = (hoursFromNow: number) =>
    new Date(Date.now() + hoursFromNow * 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
  const stored = () => root.read("store/token");

  test("leaves a token with more than half its life alone", () => {
    root.write("store/token", join.bootstrapToken);
    root.write("cluster-tokens", `${join.bootstrapToken} ${iso(20)}\n`);
    const result = run(rotation());
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stderr, /valid for another (19|20) hours; nothing to do/);
    assert.equal(stored(), join.bootstrapToken);
    assert.ok(!root.calls().some((call) => call.startsWith("kubeadm token create")));
    assertNoSecrets(result.stderr + result.stdout, "rotation output");
  });

  for (const [what, listing] of [
    ["expiring within half its life", `${iso(3)}`],
    ["expired and cleaned up", undefined],
    ["never expiring (the old design's)", ""],
  ] as const) {
    test(`replaces a token ${what} with a 24h one, written through a file under the cluster key`, () => {
      root.write("store/token", join.bootstrapToken);
      root.write(
        "cluster-tokens",
        listing === undefined
          ? "other1.0000000000000000 2020-01-01T00:00:00Z\n"
          : `${join.bootstrapToken} ${listing}\n`,
      );
      const result = run(rotation());
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "", "the new token reached stdout");
      assert.match(stored(), /^newtok\.\d{16}$/);
      const calls = root.calls();
      const create = calls.find((call) => call.startsWith("kubeadm token create"));
      assert.match(create ?? "", /--ttl 24h/);
      const put = calls.find((call) => call.startsWith("aws ssm put-parameter"));
      assert.ok(put, "no put-parameter");
      assert.match(
        put,
        new RegExp(
          `--name ${store.joinTokenParameterName} --type SecureString --key-id ${store.kmsKeyArn} --overwrite --value file://`,
        ),
      );
      assert.ok(!put.includes(stored()), "the new token was a process argument");
      assert.match(result.stderr, /stored the new token newtok \(valid 24h\)/);
      assertNoSecrets(result.stderr, "rotation log");
      assert.ok(!result.stderr.includes(stored().split(".")[1]));
      assert.deepEqual(
        fs.readdirSync(root.dir).filter((f) => f.startsWith("tmp.")),
        [],
        "temporary token file left behind",
      );
    });
  }

  test("a denied store read is reported once and nothing is created", () => {
    root.write("mode", "denied");
    const result = run(rotation());
    assert.equal(result.status, 1);
    const errors = result.stderr.split("\n").filter((line) => line.includes("ERROR"));
    assert.equal(errors.length, 1, result.stderr);
    assert.match(
      errors[0],
      /could not read the join token \(SSM parameter \/calico-cluster\/payments-prod\/join-token in eu-west-1\) after 2 attempts: .*AccessDeniedException/,
    );
    assert.ok(!root.calls().some((call) => call.startsWith("kubeadm token create")));
  });
});
