import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import type { AddressInfo } from "node:net";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ApiReadiness, readyzWaitProvider } from "../components/apiReadiness";
import { discoveryTokenCaCertHash } from "../lib/api/discoveryHash";
import { installMockEngine, type RecordedResource } from "../lib/harness/mockEngine";
import {
  type Clock,
  clusterInfoPath,
  clusterReadyProbe,
  formatDuration,
  httpsReadyzProbe,
  type ProbeResult,
  waitForReadyz,
} from "../lib/api/readyz";
import { inspect, isWireSecret } from "./support/clusterMocks";

/** A clock whose sleeps pass instantly and advance its time. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe("waitForReadyz", () => {
  const url = "https://api.example:6443/readyz";

  test("returns once a probe reports ready, after the failed attempts", async () => {
    const answers: ProbeResult[] = [
      { ready: false, reason: "ECONNREFUSED" },
      { ready: false, reason: "HTTP 500" },
      { ready: true },
    ];
    const clock = fakeClock();
    const outcome = await waitForReadyz({
      url,
      probe: async () => answers.shift() ?? { ready: false, reason: "exhausted" },
      clock,
      timeoutMs: 60_000,
      intervalMs: 10_000,
    });
    assert.deepEqual(outcome, { attempts: 3, elapsedMs: 20_000 });
    assert.deepEqual(clock.slept, [10_000, 10_000]);
  });

  test("gives up at the limit, naming the endpoint, the time and the last error", async () => {
    const clock = fakeClock();
    let attempt = 0;
    await assert.rejects(
      waitForReadyz({
        url,
        probe: async () => ({ ready: false, reason: `HTTP 503 (attempt ${++attempt})` }),
        clock,
        timeoutMs: 20 * 60_000,
        intervalMs: 10_000,
      }),
      (error: Error) => {
        assert.match(error.message, /the Kubernetes API at https:\/\/api\.example:6443\/readyz/);
        assert.match(error.message, /limit 20m/);
        // Probes at 0s, 10s, ... 1200s: the last one at the limit itself.
        const attempts = (20 * 60_000) / 10_000 + 1;
        assert.match(error.message, new RegExp(`\\(${attempts} attempts`));
        assert.match(error.message, new RegExp(`last error: HTTP 503 \\(attempt ${attempts}\\)`));
        return true;
      },
    );
    // Never sleeps past the deadline.
    assert.ok(clock.slept.reduce((sum, ms) => sum + ms, 0) <= 20 * 60_000);
  });

  test("a probe that throws counts as not ready, with its message", async () => {
    await assert.rejects(
      waitForReadyz({
        url,
        probe: async () => {
          throw new Error("socket hang up");
        },
        clock: fakeClock(),
        timeoutMs: 30_000,
        intervalMs: 10_000,
      }),
      /last error: socket hang up/,
    );
  });

  test("the cluster is ready only once /readyz answers and cluster-info is published", async () => {
    const answers: Record<string, ProbeResult> = {
      "https://api.example:6443/readyz": { ready: true },
      [`https://api.example:6443${clusterInfoPath}`]: { ready: false, reason: "HTTP 403" },
    };
    const probe = clusterReadyProbe(async (url) => answers[url] ?? { ready: false, reason: url });
    assert.deepEqual(await probe("https://api.example:6443/readyz"), {
      ready: false,
      reason: `/readyz answers but ${clusterInfoPath}: HTTP 403`,
    });
    answers[`https://api.example:6443${clusterInfoPath}`] = { ready: true };
    assert.deepEqual(await probe("https://api.example:6443/readyz"), { ready: true });
    answers["https://api.example:6443/readyz"] = { ready: false, reason: "HTTP 500" };
    assert.deepEqual(await probe("https://api.example:6443/readyz"), {
      ready: false,
      reason: "HTTP 500",
    });
  });

  test("formatDuration", () => {
    assert.equal(formatDuration(20 * 60_000), "20m");
    assert.equal(formatDuration(90_000), "1m30s");
    assert.equal(formatDuration(5_000), "5s");
  });
});

/** A CA and a server certificate for 127.0.0.1, made by openssl. */
function makeCertificates(dir: string) {
  const file = (name: string) => path.join(dir, name);
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "pipe" });
  for (const ca of ["ca", "other-ca"]) {
    openssl(
      "req",
      "-x509",
      ...ec,
      "-subj",
      `/CN=${ca}`,
      "-days",
      "1",
      "-keyout",
      file(`${ca}.key`),
      "-out",
      file(`${ca}.crt`),
    );
  }
  openssl(
    "req",
    ...ec,
    "-subj",
    "/CN=127.0.0.1",
    "-keyout",
    file("server.key"),
    "-out",
    file("server.csr"),
  );
  fs.writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1\n");
  openssl(
    "x509",
    "-req",
    "-in",
    file("server.csr"),
    "-CA",
    file("ca.crt"),
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-days",
    "1",
    "-extfile",
    file("san.ext"),
    "-out",
    file("server.crt"),
  );
  const read = (name: string) => fs.readFileSync(file(name), "utf8");
  return {
    ca: read("ca.crt"),
    otherCa: read("other-ca.crt"),
    key: read("server.key"),
    cert: read("server.crt"),
  };
}

describe("httpsReadyzProbe and the dynamic provider, against a local HTTPS server", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "readyz-"));
  let certificates: ReturnType<typeof makeCertificates>;
  let server: https.Server;
  let base = "";
  /** What /readyz answers; "hang" never answers. */
  let mode: "ok" | "failing" | "hang" = "ok";

  before(async () => {
    certificates = makeCertificates(dir);
    server = https.createServer(
      { key: certificates.key, cert: certificates.cert },
      (request, response) => {
        if (request.url === clusterInfoPath && mode === "ok") {
          response.writeHead(200).end('{"kind":"ConfigMap"}');
          return;
        }
        if (request.url !== "/readyz" || mode === "hang") {
          if (mode !== "hang") response.writeHead(404).end();
          return;
        }
        if (mode === "ok") response.writeHead(200).end("ok");
        else response.writeHead(500).end("[-]etcd failed: reason withheld\nreadyz check failed\n");
      },
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("200 from a server the cluster CA signed is ready", async () => {
    mode = "ok";
    assert.deepEqual(await httpsReadyzProbe(certificates.ca)(`${base}/readyz`), { ready: true });
  });

  test("a failing /readyz is not ready, and says which check failed", async () => {
    mode = "failing";
    const result = await httpsReadyzProbe(certificates.ca)(`${base}/readyz`);
    assert.equal(result.ready, false);
    assert.match(!result.ready ? result.reason : "", /^HTTP 500: \[-\]etcd failed/);
  });

  test("a server another CA signed is never ready", async () => {
    mode = "ok";
    const result = await httpsReadyzProbe(certificates.otherCa)(`${base}/readyz`);
    assert.equal(result.ready, false);
    assert.match(!result.ready ? result.reason : "", /certificate|signature|issuer/i);
  });

  test("a closed port and a silent server are not ready, with the reason", async () => {
    const closed = https.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await httpsReadyzProbe(certificates.ca)(`https://127.0.0.1:${port}/readyz`);
    assert.match(!refused.ready ? refused.reason : "", /ECONNREFUSED/);

    mode = "hang";
    const silent = await httpsReadyzProbe(certificates.ca, 300)(`${base}/readyz`);
    assert.match(!silent.ready ? silent.reason : "", /no answer within/);
  });

  test("the provider's create waits for ready and records the endpoint and CA hash", async () => {
    mode = "ok";
    const created = await readyzWaitProvider.create({
      url: `${base}/readyz`,
      caCertPem: certificates.ca,
      timeoutSeconds: 5,
      intervalSeconds: 1,
    });
    assert.equal(created.id, `${base}/readyz`);
    assert.deepEqual(created.outs, {
      url: `${base}/readyz`,
      caCertHash: discoveryTokenCaCertHash(certificates.ca),
      timeoutSeconds: 5,
      attempts: 1,
    });
  });

  test("the provider's create fails at its limit with the endpoint and the last error", async () => {
    mode = "failing";
    await assert.rejects(
      readyzWaitProvider.create({
        url: `${base}/readyz`,
        caCertPem: certificates.ca,
        timeoutSeconds: 1,
        intervalSeconds: 0.2,
      }),
      new RegExp(
        `the Kubernetes API at ${base.replace(/\./g, "\\.")}/readyz was not ready.*last error: HTTP 500`,
      ),
    );
  });

  test("diff: a new endpoint or CA waits again, a new limit does not", async () => {
    const olds = {
      url: "https://a:6443/readyz",
      caCertHash: discoveryTokenCaCertHash(certificates.ca),
      timeoutSeconds: 1200,
      attempts: 4,
    };
    const news = {
      url: olds.url,
      caCertPem: certificates.ca,
      timeoutSeconds: 1200,
      intervalSeconds: 10,
    };
    const diff = readyzWaitProvider.diff!;
    assert.deepEqual((await diff("id", olds, news)).replaces, []);
    assert.equal((await diff("id", olds, news)).changes, false);
    assert.deepEqual((await diff("id", olds, { ...news, url: "https://b:6443/readyz" })).replaces, [
      "url",
    ]);
    assert.deepEqual(
      (await diff("id", olds, { ...news, caCertPem: certificates.otherCa })).replaces,
      ["caCertPem"],
    );
    const longer = await diff("id", olds, { ...news, timeoutSeconds: 2400 });
    assert.deepEqual([longer.changes, longer.replaces], [true, []]);
  });
});

const dynamicType = "pulumi-nodejs:dynamic/calico-cluster:ReadyzWait";

for (const preview of [true, false]) {
  describe(`ApiReadiness component, ${preview ? "preview" : "update"}`, () => {
    let readiness: ApiReadiness;
    let resources: readonly RecordedResource[];
    const kubeconfig = "apiVersion: v1\nkind: Config\n# admin\n";
    before(async () => {
      const engine = installMockEngine({ project: "calico-cluster", stack: "readiness", preview });
      const masters = new aws.autoscaling.Group("master-eu-west-1a", { minSize: 1, maxSize: 1 });
      const loadBalancer = new aws.lb.LoadBalancer("api", { loadBalancerType: "network" });
      readiness = new ApiReadiness("api-ready", {
        apiEndpointHost: preview ? loadBalancer.dnsName : "api.example.com",
        clusterCaCertPem: pulumi.secret(
          "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n",
        ),
        kubeconfig: pulumi.secret(kubeconfig),
        timeoutMinutes: 7,
        after: [masters],
      });
      resources = await engine.settle();
    });

    test("a dynamic resource polls the LB's /readyz, with the CA as a secret, after the masters", () => {
      const wait = resources.find((r) => r.type === dynamicType);
      assert.ok(wait, "no ReadyzWait resource");
      assert.ok(
        wait.dependencies.some((urn) => urn.endsWith("::master-eu-west-1a")),
        "does not wait for the masters",
      );
      assert.equal(wait.inputs.timeoutSeconds, 7 * 60);
      assert.equal(typeof wait.inputs.__provider, "string");
      assert.match(String(wait.inputs.__provider), /readyz/);
      if (!preview) {
        assert.equal(wait.inputs.url, "https://api.example.com:6443/readyz");
        assert.ok(isWireSecret(wait.wireInputs.caCertPem));
      }
    });

    if (!preview) {
      test("the serialised provider, loaded the way the engine loads it, waits for a real /readyz", async () => {
        const wait = resources.find((r) => r.type === dynamicType);
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "provider-"));
        const certificates = makeCertificates(dir);
        const server = https.createServer(
          { key: certificates.key, cert: certificates.cert },
          (_request, response) => response.writeHead(200).end("ok"),
        );
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
          const file = path.join(dir, "provider.js");
          fs.writeFileSync(file, String(wait?.inputs.__provider));
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const loaded = require(file) as { handler(): typeof readyzWaitProvider };
          const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
          const created = await loaded.handler().create({
            url,
            caCertPem: certificates.ca,
            timeoutSeconds: 5,
            intervalSeconds: 1,
          });
          assert.equal(created.id, url);
        } finally {
          server.closeAllConnections();
          server.close();
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }

    test("the kubeconfig passes through as a secret, only once the API is ready", async () => {
      const passed = await inspect(readiness.kubeconfig);
      assert.equal(passed.secret, true);
      assert.equal(passed.known, !preview);
      if (!preview) {
        assert.equal(passed.value, kubeconfig);
        assert.equal((await inspect(readiness.endpoint)).value, "https://api.example.com:6443");
      }
    });
  });
}

describe("ApiReadiness arguments", () => {
  test("a timeout below a minute is refused, naming the config key", () => {
    installMockEngine({ project: "calico-cluster", stack: "readiness-errors", preview: true });
    assert.throws(
      () =>
        new ApiReadiness("bad", {
          apiEndpointHost: "api.example.com",
          clusterCaCertPem: "ca",
          kubeconfig: "k",
          timeoutMinutes: 0,
        }),
      /calico-cluster:apiReadinessTimeoutMinutes = 0 must be a whole number of minutes/,
    );
  });
});
