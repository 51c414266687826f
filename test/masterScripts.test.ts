/**
 * The masters' etcd clean-up and termination hook handler, rendered and run by
 * bash against stand-in etcdctl, aws, kubeadm and curl (test/support/standIns.ts):
 * only members of masters that are gone are removed, one at a time, only while
 * the healthy members hold quorum, never the last; the handler resets and
 * completes the lifecycle action once the group terminates the instance.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterEach, describe, it } from "node:test";
import { renderEtcdCleanupScript } from "../lib/nodes/etcdCleanup";
import { renderLifecycleHookScript } from "../lib/nodes/lifecycleHook";
import { masterScripts, maxParameterChars } from "../lib/nodes/masterScripts";
import { type FakeCluster, fakeCluster } from "./support/masterStandIns";

const self = "10.20.2.10";
const member = (id: string, ip: string, status = "started") =>
  status === "unstarted"
    ? `${id}, unstarted, , https://${ip}:2380, , false`
    : `${id}, started, ip-${ip.replace(/\./g, "-")}, https://${ip}:2380, https://${ip}:2379, false`;

let cluster: FakeCluster | undefined;
afterEach(() => cluster?.remove());

/** A fake cluster with `alive` master IPs up in EC2 and these etcd members. */
function setUp(
  alive: readonly string[],
  members: readonly string[],
  unhealthy: readonly string[] = [],
) {
  const fake = fakeCluster(["etcdctl", "aws", "kubeadm"]);
  cluster = fake;
  fs.mkdirSync(path.join(fake.dir, "pki"));
  fs.writeFileSync(path.join(fake.dir, "pki", "ca.crt"), "ca");
  fs.writeFileSync(path.join(fake.dir, "pki", "ca.key"), "key");
  fake.set("alive", `${alive.join("\t")}\n`);
  fake.set("members", `${members.join("\n")}\n`);
  fake.set("unhealthy", unhealthy.map((ip) => `https://${ip}:2379\n`).join(""));
  const script = renderEtcdCleanupScript({
    clusterName: "payments-prod",
    region: "eu-west-1",
    etcdPkiDirectory: path.join(fake.dir, "pki"),
  });
  return { fake, run: () => fake.run(script, [self]) };
}

const remaining = (fake: FakeCluster) =>
  fake
    .read("members")
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(",")[0]);
const removals = (fake: FakeCluster) =>
  fake
    .calls()
    .filter((call) => / member remove /.test(call))
    .map((call) => call.split(" ").pop());

describe("etcd dead-member clean-up", () => {
  it("removes the member of a terminated master and keeps the live ones", () => {
    const { fake, run } = setUp(
      ["10.20.0.10", "10.20.1.10", self],
      [member("a1", "10.20.0.10"), member("b1", "10.20.1.10"), member("c1", "10.20.2.99")],
    );
    const result = run();
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(removals(fake), ["c1"]);
    assert.deepEqual(remaining(fake), ["a1", "b1"]);
    const describe = fake.calls().find((call) => call.startsWith("aws ec2 describe-instances"));
    assert.ok(describe?.includes("Name=tag:kubernetes.io/cluster/payments-prod,Values=owned"));
    assert.ok(describe?.includes("Name=tag:Name,Values=payments-prod-master-*"));
    assert.ok(describe?.includes("--region eu-west-1"));
    // etcd is asked only through the live masters, never through this one.
    const list = fake.calls().find((call) => call.includes("member list"));
    assert.ok(list?.includes("--endpoints=https://10.20.0.10:2379,https://10.20.1.10:2379"), list);
  });

  it("removes several dead members one at a time, re-reading the membership", () => {
    const { fake, run } = setUp(
      ["10.20.0.10", "10.20.1.10", "10.20.3.10"],
      [
        member("a1", "10.20.0.10"),
        member("b1", "10.20.1.10"),
        member("d1", "10.20.3.10"),
        member("x1", "10.20.4.10"),
        member("y1", "10.20.5.10", "unstarted"),
      ],
    );
    assert.equal(run().status, 0);
    assert.deepEqual(removals(fake), ["x1", "y1"]);
    assert.deepEqual(remaining(fake), ["a1", "b1", "d1"]);
    const lists = fake.calls().filter((call) => call.includes("member list"));
    assert.equal(lists.length, 3, "one membership read per removal, and a last one");
  });

  it("removes nothing when the healthy members are short of quorum", () => {
    // 3 members, one dead, one alive but failing its health check: 1 of 3 healthy.
    const { fake, run } = setUp(
      ["10.20.0.10", "10.20.1.10"],
      [member("a1", "10.20.0.10"), member("b1", "10.20.1.10"), member("c1", "10.20.2.99")],
      ["10.20.1.10"],
    );
    const result = run();
    assert.equal(result.status, 0);
    assert.deepEqual(removals(fake), []);
    assert.deepEqual(remaining(fake), ["a1", "b1", "c1"]);
    assert.match(result.stderr, /short of quorum/);
  });

  it("stops removing when quorum would be lost on the way", () => {
    // 5 members, 3 dead, 2 healthy: 2 < 3, so not even the first goes.
    const { fake, run } = setUp(
      ["10.20.0.10", "10.20.1.10"],
      [
        member("a1", "10.20.0.10"),
        member("b1", "10.20.1.10"),
        member("x1", "10.20.4.10"),
        member("y1", "10.20.5.10"),
        member("z1", "10.20.6.10"),
      ],
    );
    assert.equal(run().status, 0);
    assert.deepEqual(removals(fake), []);
  });

  it("never removes the last member", () => {
    const { fake, run } = setUp(["10.20.0.10"], [member("x1", "10.20.4.10")]);
    const result = run();
    assert.equal(result.status, 0);
    assert.deepEqual(removals(fake), []);
    assert.match(result.stderr, /keeping the last member/);
  });

  it("treats a member at this node's own address as a leftover and removes it", () => {
    const { fake, run } = setUp(
      ["10.20.0.10", "10.20.1.10", self],
      [member("a1", "10.20.0.10"), member("b1", "10.20.1.10"), member("s1", self)],
    );
    assert.equal(run().status, 0);
    assert.deepEqual(removals(fake), ["s1"]);
  });

  it("leaves etcd alone when nothing is dead, etcd does not answer, or no other master runs", () => {
    let { fake, run } = setUp(
      ["10.20.0.10", "10.20.1.10"],
      [member("a1", "10.20.0.10"), member("b1", "10.20.1.10")],
    );
    assert.equal(run().status, 0);
    assert.deepEqual(removals(fake), []);
    fake.remove();

    ({ fake, run } = setUp(
      ["10.20.0.10"],
      [member("a1", "10.20.0.10"), member("x1", "10.20.4.10")],
    ));
    fake.set("etcd-down", "");
    assert.equal(run().status, 0);
    assert.deepEqual(removals(fake), []);
    fake.remove();

    ({ fake, run } = setUp([self], [member("x1", "10.20.4.10"), member("y1", "10.20.5.10")]));
    const result = run();
    assert.equal(result.status, 0);
    assert.match(result.stderr, /no other master is up/);
    assert.ok(!fake.calls().some((call) => call.startsWith("etcdctl")));
  });

  it("skips the clean-up, without failing, where etcdctl is not installed", () => {
    const fake = fakeCluster(["aws", "kubeadm"]);
    cluster = fake;
    const script = renderEtcdCleanupScript({
      clusterName: "c",
      region: "eu-west-1",
      etcdPkiDirectory: "/nonexistent",
    });
    const result = fake.run(script, [self]);
    assert.equal(result.status, 0);
    assert.match(result.stderr, /no etcdctl/);
    assert.deepEqual(fake.calls(), []);
  });
});

describe("master termination hook handler", () => {
  const handler = renderLifecycleHookScript({ region: "eu-west-1", pollSeconds: 0 });

  for (const resetStatus of [0, 1]) {
    it(`waits for Terminating:Wait, resets, then continues the termination (reset exit ${resetStatus})`, () => {
      const fake = fakeCluster(["aws", "kubeadm", "curl"]);
      cluster = fake;
      fake.set("lifecycle", "InService\tgroup-a\nInService\tgroup-a\nTerminating:Wait\tgroup-a\n");
      fake.set("reset-status", String(resetStatus));
      const result = fake.run(handler);
      assert.equal(result.status, 0, result.stderr);
      const calls = fake.calls().filter((call) => !call.startsWith("curl"));
      assert.equal(calls.filter((c) => c.includes("describe-auto-scaling-instances")).length, 3);
      const rest = calls.filter((c) => !c.includes("describe-auto-scaling-instances"));
      assert.deepEqual(rest, [
        "kubeadm reset -f",
        "aws autoscaling complete-lifecycle-action --region eu-west-1 --lifecycle-hook-name kubeadm-reset --auto-scaling-group-name group-a --instance-id i-0123456789abcdef0 --lifecycle-action-result CONTINUE",
      ]);
    });
  }
});

describe("master scripts", () => {
  it("fit in standard SSM parameters and pass shellcheck", (t) => {
    const scripts = masterScripts({ clusterName: "payments-prod", region: "eu-west-1" });
    for (const script of scripts) assert.ok(script.content.length <= maxParameterChars, script.key);
    if (spawnSync("shellcheck", ["--version"]).status !== 0) {
      t.skip("shellcheck is not installed");
      return;
    }
    for (const script of scripts.filter((s) => s.content.startsWith("#!"))) {
      const result = spawnSync("shellcheck", ["-s", "bash", "-"], {
        input: script.content,
        encoding: "utf8",
      });
      assert.equal(result.status, 0, `${script.key}:\n${result.stdout}`);
    }
  });
});
