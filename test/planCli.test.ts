/**
 * `npm run plan` as a person runs it: a child process over stack files, checking
 * exit codes, the keys named in its output, and that no stack trace leaks.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { exampleStacks } from "./support/stacks";
import { validClusterInput } from "./support/configs";

const temporaryDirectories: string[] = [];
after(() => {
  for (const directory of temporaryDirectories)
    fs.rmSync(directory, { recursive: true, force: true });
});

const root = path.join(__dirname, "..");

function runPlan(...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts", "plan.ts"), ...args],
    { cwd: root, encoding: "utf8" },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function stacksDirWith(stacks: Record<string, Record<string, unknown> | string>): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "plan-stacks-"));
  temporaryDirectories.push(directory);
  for (const [name, cluster] of Object.entries(stacks)) {
    const body =
      typeof cluster === "string"
        ? cluster
        : stringify({
            config: {
              "aws:region": "eu-west-1",
              ...Object.fromEntries(
                Object.entries(cluster).map(([key, value]) => [`calico-cluster:${key}`, value]),
              ),
            },
          });
    fs.writeFileSync(path.join(directory, `Pulumi.${name}.yaml`), body);
  }
  return directory;
}

const noStackTrace = (output: string) => assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+/);

describe("npm run plan", () => {
  it("plans every example stack with --all and exits 0", () => {
    const { status, stdout, stderr } = runPlan("--all");
    assert.equal(status, 0, stderr);
    for (const stack of exampleStacks) assert.match(stdout, new RegExp(`== ${stack} \\(ok\\)`));
    assert.match(stdout, /private subnet\s+usable\s+max nodes\s+public subnet/);
    assert.match(stdout, /Pod pool 100\.64\.0\.0\/16: \/25 blocks/);
  });

  it("prints the documented JSON shape", () => {
    const { status, stdout } = runPlan("--stack", exampleStacks[0], "--json");
    assert.equal(status, 0);
    const result = JSON.parse(stdout);
    assert.equal(result.stack, exampleStacks[0]);
    assert.equal(result.ok, true);
    assert.deepEqual(result.configProblems, []);
    for (const key of [
      "vpcCidr",
      "serviceCidr",
      "availabilityZones",
      "podPool",
      "nodeGroups",
      "findings",
    ]) {
      assert.ok(key in result.plan, key);
    }
    const all = JSON.parse(runPlan("--all", "--json").stdout);
    assert.deepEqual(
      all.map((entry: { stack: string }) => entry.stack),
      [...exampleStacks],
    );
  });

  const refused: [string, Record<string, unknown>, RegExp[]][] = [
    [
      "pod CIDR overlapping the VPC",
      { podCidr: "10.50.0.0/17" },
      [/cidr-overlap/, /calico-cluster:vpcCidr, calico-cluster:podCidr/],
    ],
    [
      "a /26 block with max pods 110",
      { podBlockSize: 26 },
      [
        /block-too-small-for-pods/,
        /calico-cluster:podBlockSize/,
        /calico-cluster:workerGroups\[0\]/,
      ],
    ],
    [
      "a pod pool too small for the groups' max size",
      { podCidr: "100.70.0.0/23" },
      [/pool-too-small-for-nodes/, /calico-cluster:podCidr/],
    ],
    [
      "a reserved range overlapping the VPC",
      { reservedRanges: [{ name: "peer", cidr: "10.50.8.0/21" }] },
      [/cidr-overlap/, /calico-cluster:reservedRanges\[0\]/, /"peer"/],
    ],
    [
      "a pod MTU with no room for the IPIP header",
      { calico: { hostMtu: 9001, mtu: 9001 } },
      [
        /Cannot deploy:/,
        /calico-cluster:calico\.mtu, calico-cluster:calico\.hostMtu/,
        /8981 or less/,
      ],
    ],
    [
      "an invalid CIDR 10.0.0.1/16",
      { vpcCidr: "10.0.0.1/16" },
      [
        /calico-cluster:vpcCidr = "10\.0\.0\.1\/16" has host bits set; the network address is 10\.0\.0\.0\/16/,
      ],
    ],
  ];
  for (const [name, change, expected] of refused) {
    it(`refuses ${name}, naming the keys`, () => {
      const directory = stacksDirWith({ broken: { ...validClusterInput(), ...change } });
      const { status, stdout, stderr } = runPlan("--all", "--stacks-dir", directory);
      assert.equal(status, 1, stdout + stderr);
      assert.match(stdout, /== broken \(REFUSED\)/);
      for (const pattern of expected) assert.match(stdout, pattern);
      noStackTrace(stdout + stderr);
    });
  }

  it("reports broken YAML and unknown stacks without a stack trace", () => {
    const directory = stacksDirWith({ garbled: "config: [unclosed", good: validClusterInput() });
    const garbled = runPlan("--all", "--stacks-dir", directory);
    assert.equal(garbled.status, 1);
    assert.match(garbled.stdout, /== garbled \(REFUSED\)/);
    assert.match(garbled.stdout, /== good \(ok\)/);
    noStackTrace(garbled.stdout + garbled.stderr);

    const missing = runPlan("--stack", "nope", "--stacks-dir", directory);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no stack file .*Pulumi\.nope\.yaml \(stacks: garbled, good\)/);
    const usage = runPlan("--bogus");
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /usage: npm run plan/);
    noStackTrace(usage.stderr);
  });
});
