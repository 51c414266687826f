/**
 * The rendered bootstrap, run as cloud-init would run it against stand-in
 * commands and an IMDSv2 stub (test/support/bootstrapHarness.ts): flaky apt,
 * kubeadm failing then succeeding, a replaced first master, custom DHCP
 * options, final failures, pre-baked images.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { renderStackUserData } from "../scripts/render-user-data";
import * as path from "node:path";
import { etcdCleanupScriptPath } from "../lib/nodes/etcdCleanup";
import { initMarkerParameterName } from "../lib/nodes/initMarker";
import { kubeadmPatchesDirectory, kubeletPatchFile } from "../lib/nodes/kubeadmConfig";
import { masterScriptsParameterPrefix } from "../lib/nodes/masterScripts";
import { documentOfKind } from "./support/userData";
import {
  removeRun,
  runUserData,
  standInJoinToken,
  type UserDataRun,
  type UserDataRunOptions,
} from "./support/bootstrapHarness";

const runs: UserDataRun[] = [];
after(() => runs.forEach(removeRun));

const userDataOf = (stack: string, node: string) => {
  const found = renderStackUserData(stack).find((rendered) => rendered.node === node);
  assert.ok(found, `${stack} has no ${node}`);
  return found;
};

async function boot(
  stack: string,
  node: string,
  options: Omit<UserDataRunOptions, "userData"> = {},
): Promise<UserDataRun> {
  const rendered = userDataOf(stack, node);
  const run = await runUserData({ userData: rendered.payload, ...options });
  runs.push(run);
  return run;
}

const marker = (stack: string) => initMarkerParameterName(stack);
const commandLines = (run: UserDataRun, command: Parameters<UserDataRun["calls"]>[0]) =>
  run.calls(command).map((call) => call.args.join(" "));
const kubeadmRuns = (run: UserDataRun, subcommand: string) =>
  run.calls("kubeadm").filter((call) => call.args[0] === subcommand);

describe("bootstrap scenarios", () => {
  test("a fresh cluster: the first master initialises it and sets the marker", async () => {
    const run = await boot("payments-prod", "master-init", {
      ssmParameters: { [marker("payments-prod")]: "uninitialised" },
    });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(kubeadmRuns(run, "init").length, 1);
    assert.ok(kubeadmRuns(run, "init")[0].args.includes("--skip-token-print"));
    assert.equal(run.ssmParameter(marker("payments-prod")), "initialised");
    assert.deepEqual(
      run.calls("aws").filter((call) => call.args[0] === "autoscaling"),
      [],
    );
    // Every metadata read carried the session token the stub handed out.
    assert.ok(run.imdsRequests.length > 0 && run.imdsRequests.every((r) => / 200$/.test(r)));
  });

  test("a flaky apt mirror is retried, with a dpkg lock timeout; the keyring is world-readable", async () => {
    const run = await boot("payments-prod", "worker-general", {
      api: "up",
      standIns: {
        "apt-get": `if printf '%s\\n' "$@" | grep -qx update && [ "$(nth_call apt-update)" -le 2 ]; then
  echo "E: Failed to fetch http://archive.ubuntu.com/ubuntu/dists/noble/InRelease" >&2
  exit 100
fi
default_apt_get "$@"`,
      },
    });
    assert.equal(run.exitCode, 0, run.output);
    const updates = commandLines(run, "apt-get").filter((line) => line.endsWith(" update"));
    assert.equal(updates.length, 4, "two failed updates, then one before and one after the repo");
    assert.ok(
      commandLines(run, "apt-get").every((line) => line.includes("DPkg::Lock::Timeout=300")),
    );
    assert.ok(commandLines(run, "apt-get").some((line) => /containerd=2\.2\.\*/.test(line)));
    assert.equal(run.mode("/etc/apt/keyrings/kubernetes-apt-keyring.gpg"), 0o644);
    assert.equal(kubeadmRuns(run, "join").length, 1);
  });

  test("kubeadm init failing once is reset and retried with the pre-placed CAs put back", async () => {
    const run = await boot("payments-prod", "master-init", {
      ssmParameters: { [marker("payments-prod")]: "uninitialised" },
      standIns: {
        kubeadm: `if [ "$1" = init ] && [ "$(nth_call init)" -eq 1 ]; then
  echo "[wait-control-plane] context deadline exceeded" >&2
  exit 1
fi
default_kubeadm "$@"`,
      },
    });
    assert.equal(run.exitCode, 0, run.output);
    const sequence = run.calls("kubeadm").map((call) => call.args[0]);
    assert.deepEqual(
      sequence.filter((step) => step === "init" || step === "reset"),
      ["init", "reset", "init"],
    );
    // The stand-in reset deletes /etc/kubernetes/pki and its init refuses without ca.key.
    assert.ok(run.file("/etc/kubernetes/pki/ca.key")?.includes("PRIVATE KEY"));
    assert.equal(run.ssmParameter(marker("payments-prod")), "initialised");
  });

  test("a replaced first master whose probes time out joins once the cluster answers, never inits", async () => {
    const run = await boot("payments-prod", "master-init", {
      api: "timeout",
      ssmParameters: { [marker("payments-prod")]: "initialised" },
      standIns: {
        curl: `case "$*" in *:6443/*) [ "$(nth_call api)" -gt 20 ] && echo up >"$STANDIN_STATE/api" ;; esac
default_curl "$@"`,
      },
    });
    assert.equal(run.exitCode, 0, run.output);
    assert.deepEqual(kubeadmRuns(run, "init"), []);
    assert.equal(kubeadmRuns(run, "join").length, 1);
    assert.match(run.output, /says the cluster was initialised: joining it/);
  });

  test("an unreadable marker, or an endpoint answering without cluster-info, never leads to init", async () => {
    const unreadable = await boot("payments-prod", "master-init", {
      // Only the marker: the join token (also SSM) is readable.
      standIns: {
        aws: 'case "$*" in ssm*kubeadm-init*) exit 255 ;; esac\ndefault_aws "$@"',
      },
    });
    assert.notEqual(unreadable.exitCode, 0);
    assert.deepEqual(kubeadmRuns(unreadable, "init"), []);
    assert.match(unreadable.output, /never initialising without it/);

    const answering = await boot("payments-prod", "master-init", {
      api: "forbidden",
      ssmParameters: { [marker("payments-prod")]: "uninitialised" },
    });
    assert.notEqual(answering.exitCode, 0);
    assert.deepEqual(kubeadmRuns(answering, "init"), []);
    assert.match(answering.output, /without cluster-info; not initialising/);
  });

  test("the node name is the EC2 private DNS name whatever the DHCP options say", async () => {
    const cases = [
      { stack: "data-staging", region: "us-east-1", name: "ip-10-40-1-23.ec2.internal" },
      {
        stack: "payments-prod",
        region: "eu-west-1",
        name: "ip-10-40-1-23.eu-west-1.compute.internal",
      },
    ];
    for (const { stack, region, name } of cases) {
      const run = await boot(stack, "master-join", {
        api: "up",
        preBaked: stack === "data-staging",
        imds: { region, localHostname: "IP-10-40-1-23.Corp.Example.com corp.example.net" },
      });
      assert.equal(run.exitCode, 0, run.output);
      const join = documentOfKind(
        run.file("/run/kubeadm/join.yaml") ?? "",
        "JoinConfiguration",
      ) as {
        nodeRegistration: { name: string; kubeletExtraArgs: { name: string; value: string }[] };
        controlPlane: { localAPIEndpoint: { advertiseAddress: string } };
      };
      assert.equal(join.nodeRegistration.name, name);
      assert.deepEqual(join.nodeRegistration.kubeletExtraArgs, [
        { name: "node-ip", value: "10.40.1.23" },
        { name: "cloud-provider", value: "external" },
      ]);
      assert.equal(join.controlPlane.localAPIEndpoint.advertiseAddress, "10.40.1.23");
      // The cloud integration: the provider ID in the kubelet patch, the etcd clean-up
      // (fetched from SSM with the other master scripts) before the control-plane join.
      assert.match(
        run.file(`${kubeadmPatchesDirectory}/${kubeletPatchFile}`) ?? "",
        new RegExp(`providerID: aws:///${region}a/i-0123456789abcdef0`),
      );
      // A master that joined sets the marker (this also migrates clusters deployed before it).
      assert.equal(run.ssmParameter(marker(stack)), "initialised");
    }
  });

  test("a join that keeps failing ends in SetInstanceHealth Unhealthy, else a power-off", async () => {
    const failing =
      'if [ "$1" = join ]; then echo "error execution phase preflight" >&2; exit 1; fi\ndefault_kubeadm "$@"';
    const run = await boot("payments-prod", "worker-general", {
      api: "up",
      standIns: { kubeadm: failing },
    });
    assert.equal(run.exitCode, 1);
    assert.equal(kubeadmRuns(run, "join").length, 3);
    assert.equal(kubeadmRuns(run, "reset").length, 2);
    assert.deepEqual(
      run.calls("aws").map((call) => call.args.join(" ")),
      [
        "ssm get-parameter --region eu-west-1 --name /calico-cluster/payments-prod/join-token --with-decryption --query Parameter.Value --output text",
        "autoscaling set-instance-health --instance-id i-0123456789abcdef0 --health-status Unhealthy --no-should-respect-grace-period",
      ],
    );
    assert.deepEqual(
      run.calls("systemctl").filter((call) => call.args[0] === "poweroff"),
      [],
    );

    const noApi = await boot("payments-prod", "worker-general", {
      api: "up",
      standIns: { kubeadm: failing, aws: "exit 255" },
    });
    assert.equal(noApi.exitCode, 1);
    assert.deepEqual(commandLines(noApi, "systemctl").slice(-1), ["poweroff"]);
  });

  test("secrets come from the store before kubeadm; masters, not workers, enable the token rotation", async () => {
    const master = await boot("payments-prod", "master-init", {
      ssmParameters: { [marker("payments-prod")]: "uninitialised" },
    });
    assert.equal(master.exitCode, 0, master.output);
    const awsCalls = master.calls("aws").map((call) => call.args.slice(0, 2).join(" "));
    assert.ok(awsCalls.includes("secretsmanager get-secret-value"), awsCalls.join("; "));
    assert.equal(master.mode("/etc/kubernetes/pki/ca.key"), 0o600);
    assert.ok(
      commandLines(master, "systemctl").includes("enable --now kubeadm-token-rotation.timer"),
      commandLines(master, "systemctl").join("; "),
    );

    const worker = await boot("payments-prod", "worker-general", { api: "up" });
    assert.equal(worker.exitCode, 0, worker.output);
    const workerAws = worker.calls("aws").map((call) => call.args.slice(0, 2).join(" "));
    assert.ok(
      !workerAws.includes("secretsmanager get-secret-value"),
      "a worker never reads the PKI",
    );
    assert.ok(worker.file("/run/kubeadm/join.yaml")?.includes(standInJoinToken));
    assert.ok(!commandLines(worker, "systemctl").some((line) => line.includes("token-rotation")));
  });

  test("a joining master runs the etcd clean-up it fetched from SSM, before kubeadm join", async () => {
    const cleanup = `${masterScriptsParameterPrefix("payments-prod")}/${path.basename(etcdCleanupScriptPath)}`;
    const run = await boot("payments-prod", "master-join", {
      api: "up",
      ssmParameters: {
        [cleanup]: '#!/bin/bash\necho "$1" >>"$BOOTSTRAP_ROOT/run/etcd-cleanup-ran"',
      },
    });
    assert.equal(run.exitCode, 0, run.output);
    assert.equal(run.mode(etcdCleanupScriptPath), 0o700);
    assert.equal(run.file("/run/etcd-cleanup-ran"), "10.40.1.23\n");
    const join = run.calls("kubeadm").findIndex((call) => call.args[0] === "join");
    assert.ok(join >= 0);
    const worker = await boot("payments-prod", "worker-general", { api: "up" });
    assert.equal(worker.exitCode, 0, worker.output);
    assert.equal(worker.file("/run/etcd-cleanup-ran"), undefined);
  });

  test("no bootstrap token reaches the console output", async () => {
    const run = await boot("payments-prod", "master-init", {
      ssmParameters: { [marker("payments-prod")]: "uninitialised" },
    });
    assert.equal(run.exitCode, 0, run.output);
    // The user data carries the placeholder; the config kubeadm reads gets the stored token.
    assert.ok(!run.file("/etc/kubeadm/init.yaml")?.includes(standInJoinToken));
    assert.ok(run.file("/run/kubeadm/init.yaml")?.includes(`token: ${standInJoinToken}`));
    assert.equal(run.mode("/run/kubeadm/init.yaml"), 0o600);
    assert.ok(!run.output.includes(standInJoinToken));
  });

  test("a pre-baked image installs nothing and keeps its containerd config but for SystemdCgroup", async () => {
    const imageConfig = [
      "version = 2",
      '[plugins."io.containerd.grpc.v1.cri"]',
      '  sandbox_image = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror/pause:3.10.1"',
      '[plugins."io.containerd.grpc.v1.cri".registry]',
      '  config_path = "/etc/containerd/certs.d"',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]',
      "",
    ].join("\n");
    const run = await boot("data-staging", "worker-spark", {
      api: "up",
      preBaked: true,
      files: { "/etc/containerd/config.toml": imageConfig },
    });
    assert.equal(run.exitCode, 0, run.output);
    assert.deepEqual(run.calls("apt-get"), []);
    assert.deepEqual(commandLines(run, "containerd"), []);
    const config = run.file("/etc/containerd/config.toml") ?? "";
    assert.equal(
      config,
      imageConfig.replace("runc.options]\n", "runc.options]\nSystemdCgroup = true\n"),
    );
  });

  test("on a stock image containerd's sandbox is kubeadm's pause image from the mirror", async () => {
    const run = await boot("data-staging", "worker-spark", { api: "up" });
    assert.equal(run.exitCode, 0, run.output);
    const config = run.file("/etc/containerd/config.toml") ?? "";
    assert.match(
      config,
      /^\s*sandbox = '111122223333\.dkr\.ecr\.us-east-1\.amazonaws\.com\/mirror\/pause:3\.10\.1'$/m,
    );
    assert.match(config, /^\s*SystemdCgroup = true$/m);
    assert.ok(
      commandLines(run, "kubeadm").includes(
        "config images list --kubernetes-version v1.34.2 --image-repository 111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror",
      ),
    );
  });
});
