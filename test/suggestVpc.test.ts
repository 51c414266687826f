/**
 * `npm run plan -- --suggest-vpc`: the range search itself (lowest, aligned,
 * deterministic, refusing when nothing fits) and, through the commands a person
 * runs, that a suggested range gives a new stack that passes plan and check.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { mustParseCidr, overlaps } from "../policy/rules/cidr";
import { checkRoutingDomains } from "../lib/config/routingDomains";
import { lowestFree, suggestRanges } from "../lib/plan/suggestion";
import { configFrom, validClusterInput } from "./support/configs";
import { exampleStacks, loadExample } from "./support/stacks";

const root = path.join(__dirname, "..");
const temporaryDirectories: string[] = [];
after(() => {
  for (const directory of temporaryDirectories)
    fs.rmSync(directory, { recursive: true, force: true });
});

function run(script: "plan" | "check", ...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts", `${script}.ts`), ...args],
    { cwd: root, encoding: "utf8" },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** The example stacks in a temporary directory, corp optionally routing pod networks. */
function exampleDirectory(routedPodNetworks: boolean): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "suggest-stacks-"));
  temporaryDirectories.push(directory);
  for (const file of fs.readdirSync(path.join(root, "stacks"))) {
    fs.copyFileSync(path.join(root, "stacks", file), path.join(directory, file));
  }
  const domainsFile = path.join(directory, "routing-domains.yaml");
  const domains = parseYaml(fs.readFileSync(domainsFile, "utf8")) as {
    routingDomains: Record<string, { routedPodNetworks?: boolean }>;
  };
  domains.routingDomains.corp.routedPodNetworks = routedPodNetworks;
  fs.writeFileSync(domainsFile, stringify(domains));
  return directory;
}

const members = exampleStacks.map((stack) => loadExample(stack).config);
const cidrs = (...texts: string[]) => texts.map(mustParseCidr);

describe("lowestFree", () => {
  it("returns the lowest aligned block clear of every taken range", () => {
    const taken = cidrs("10.0.0.0/14", "10.4.0.0/24");
    assert.equal(lowestFree(16, cidrs("10.0.0.0/8"), taken)?.text, "10.5.0.0/16");
    assert.equal(lowestFree(22, cidrs("10.0.0.0/8"), taken)?.text, "10.4.4.0/22");
  });

  it("walks the spaces in address order and returns undefined when nothing fits", () => {
    const spaces = cidrs("192.168.0.0/16", "172.16.0.0/12");
    assert.equal(lowestFree(16, spaces, cidrs("172.16.0.0/12"))?.text, "192.168.0.0/16");
    assert.equal(lowestFree(16, spaces, cidrs("172.16.0.0/12", "192.168.0.0/16")), undefined);
    assert.equal(lowestFree(8, spaces, []), undefined, "a /8 fits in neither");
  });
});

describe("suggestRanges", () => {
  const request = { domain: "corp", routedPodNetworks: false, members, vpcPrefix: 16 };

  it("avoids every VPC, pod, service and reserved range of the domain, deterministically", () => {
    const first = suggestRanges(request);
    assert.ok(first.ok);
    assert.deepEqual(suggestRanges({ ...request, members: [...members].reverse() }), first);
    assert.equal(first.vpcCidr, "10.4.0.0/16", "right after the reserved on-premises 10.0.0.0/14");
    const vpc = mustParseCidr(first.vpcCidr);
    for (const config of members) {
      for (const text of [
        config.vpcCidr,
        config.podCidr,
        config.serviceCidr,
        ...config.reservedRanges.map((range) => range.cidr),
      ]) {
        assert.ok(!overlaps(vpc, mustParseCidr(text)), `${first.vpcCidr} overlaps ${text}`);
      }
    }
  });

  it("gives a pod range clear of other pods only when the domain routes them", () => {
    const shared = suggestRanges(request);
    const routed = suggestRanges({ ...request, routedPodNetworks: true });
    assert.ok(shared.ok && routed.ok);
    assert.equal(shared.podCidr, "100.64.0.0/16", "may repeat payments-prod's pool");
    for (const config of members) {
      assert.ok(!overlaps(mustParseCidr(routed.podCidr), mustParseCidr(config.podCidr)));
    }
  });

  it("a suggested stack joins the domain without a collision", () => {
    for (const routedPodNetworks of [false, true]) {
      const suggestion = suggestRanges({ ...request, routedPodNetworks });
      assert.ok(suggestion.ok);
      const newcomer = {
        ...configFrom({
          ...validClusterInput(),
          vpcCidr: suggestion.vpcCidr,
          podCidr: suggestion.podCidr,
          routingDomain: "corp",
        }),
        stack: "newcomer",
      };
      assert.deepEqual(
        checkRoutingDomains([...members, newcomer], {
          corp: { routedPodNetworks, description: "" },
        }),
        [],
      );
    }
  });

  it("refuses sizes the plan refuses and spaces with no room, saying why", () => {
    const tooBig = suggestRanges({ ...request, vpcPrefix: 15 });
    assert.ok(!tooBig.ok && /\/16 to \/22/.test(tooBig.reason));
    const full = suggestRanges({ ...request, within: cidrs("10.20.0.0/16") });
    assert.ok(!full.ok);
    assert.match(full.reason, /no free \/16 in 10\.20\.0\.0\/16/);
  });
});

describe("npm run plan -- --suggest-vpc", () => {
  it("suggests a range with which a new stack passes plan and check", () => {
    const directory = exampleDirectory(true);
    const suggested = run(
      "plan",
      "--suggest-vpc",
      "/18",
      "--routing-domain",
      "corp",
      "--json",
      "--stacks-dir",
      directory,
    );
    assert.equal(suggested.status, 0, suggested.stderr);
    const ranges = JSON.parse(suggested.stdout) as { vpcCidr: string; podCidr: string };
    assert.deepEqual(Object.keys(ranges).sort(), ["podCidr", "vpcCidr"]);
    const input = {
      ...validClusterInput(),
      clusterName: "newcomer",
      routingDomain: "corp",
      ...ranges,
    };
    fs.writeFileSync(
      path.join(directory, "Pulumi.newcomer.yaml"),
      stringify({
        config: {
          "aws:region": "eu-west-1",
          ...Object.fromEntries(
            Object.entries(input).map(([key, value]) => [`calico-cluster:${key}`, value]),
          ),
        },
      }),
    );
    const plan = run("plan", "--stack", "newcomer", "--stacks-dir", directory);
    assert.equal(plan.status, 0, plan.stdout + plan.stderr);
    const check = run("check", "--stack", "newcomer", "--stacks-dir", directory);
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /stacks: 1 passed, 0 failed/);
  });

  it("prints a stack-file snippet without --json, and only the VPC range when pods are not routed", () => {
    const directory = exampleDirectory(false);
    const text = run(
      "plan",
      "--suggest-vpc",
      "/16",
      "--routing-domain",
      "corp",
      "--stacks-dir",
      directory,
    );
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /^ {2}calico-cluster:vpcCidr: 10\.4\.0\.0\/16$/m);
    assert.match(text.stdout, /^ {2}calico-cluster:routingDomain: corp$/m);
    const json = run(
      "plan",
      "--suggest-vpc",
      "16",
      "--routing-domain",
      "corp",
      "--json",
      "--stacks-dir",
      directory,
    );
    assert.deepEqual(JSON.parse(json.stdout), { vpcCidr: "10.4.0.0/16" });
  });

  it("refuses clearly: nothing fits, undeclared domain, bad prefix", () => {
    const full = run(
      "plan",
      "--suggest-vpc",
      "/16",
      "--routing-domain",
      "corp",
      "--within",
      "10.20.0.0/16",
    );
    assert.equal(full.status, 1);
    assert.match(full.stderr, /no free \/16 in 10\.20\.0\.0\/16/);
    const undeclared = run("plan", "--suggest-vpc", "/16", "--routing-domain", "nowhere");
    assert.equal(undeclared.status, 2);
    assert.match(undeclared.stderr, /routing domain nowhere is not declared \(declared: corp\)/);
    const badPrefix = run("plan", "--suggest-vpc", "big", "--routing-domain", "corp");
    assert.equal(badPrefix.status, 2);
    assert.match(badPrefix.stderr, /--suggest-vpc big is not a prefix length/);
    const noDomain = run("plan", "--suggest-vpc", "/16");
    assert.equal(noDomain.status, 2);
    for (const output of [full.stderr, undeclared.stderr, badPrefix.stderr]) {
      assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+/);
    }
  });
});
