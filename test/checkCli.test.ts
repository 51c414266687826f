/**
 * `npm run check` and `npm run policy-config` as CI runs them, over temporary
 * stacks directories built from the example stack files. Each case changes a
 * few keys and checks the exit code, the policy or finding named, the stacks
 * and keys, and that no stack trace leaks. The first case and the usage errors
 * run the command as a child process, as CI does; the others run the same
 * command function in this process, on one shared program worker and pack.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { projectName } from "../lib/config/clusterConfig";
import type { CheckPools, CheckReport } from "../lib/check/stackCheck";
import { defaultPackDir } from "../lib/check/stackCheck";
import { PackPool } from "../lib/check/packPool";
import { shardOf } from "../lib/check/shard";
import { type ProgramJob, ProgramPool } from "../lib/harness/programPool";
import { runCheck } from "../scripts/check";
import { packConfigFor } from "../lib/check/packConfig";
import { stackFilePath } from "../lib/config/stackFiles";
import { packName } from "../policy/policies";
import { exampleStacks, loadExample } from "./support/stacks";

/**
 * The check's program pool, answering a run it has made before from memory: the
 * tests check variants of one stack file in several directories, and a program
 * run depends only on the stack's name and file (test/checkEquivalence.test.ts
 * shows warm runs are what fresh ones are). What the check does with the run
 * (the pack, the routing domains, the report) still happens every time.
 */
class RememberingPool extends ProgramPool {
  private readonly runs = new Map<string, ReturnType<ProgramPool["run"]>>();
  override run(job: ProgramJob): ReturnType<ProgramPool["run"]> {
    const { stack, stacksDir, ...rest } = job.args as { stack: string; stacksDir: string };
    const file = fs.readFileSync(stackFilePath(stack, stacksDir), "utf8");
    const key = JSON.stringify([job.module, job.export, stack, file, rest]);
    let run = this.runs.get(key);
    if (run === undefined) this.runs.set(key, (run = super.run(job)));
    return run;
  }
}

const temporaryDirectories: string[] = [];
let pools: CheckPools;
before(() => {
  pools = { programs: new RememberingPool(1), packs: new PackPool(defaultPackDir, 1) };
});
after(async () => {
  await Promise.all([pools.programs.close(), pools.packs.close()]);
  for (const directory of temporaryDirectories)
    fs.rmSync(directory, { recursive: true, force: true });
});

const root = path.join(__dirname, "..");
/** The pack as `pulumi preview` names it: name@v<version of policy/package.json>. */
const pack = `${packName}@v${(JSON.parse(fs.readFileSync(path.join(root, "policy", "package.json"), "utf8")) as { version: string }).version}`;

function run(script: "check" | "policy-config", ...args: string[]) {
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts", `${script}.ts`), ...args],
    { cwd: root, encoding: "utf8" },
  );
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `npm run check` with these arguments, in this process (its stderr is for usage errors only). */
async function check(...args: string[]) {
  const lines: string[] = [];
  const status = await runCheck(
    args,
    { stdout: (text) => lines.push(text), progress: { isTTY: false, write: () => true } },
    pools,
  );
  return { status, stdout: `${lines.join("\n")}\n`, stderr: "" };
}

const noStackTrace = (output: string) => assert.doesNotMatch(output, /\n\s+at .+:\d+:\d+/);

/** An example stack's file with some `calico-cluster:` keys changed. */
function variant(base: string, name: string, change: Record<string, unknown> = {}): string {
  const document = parseYaml(fs.readFileSync(stackFilePath(base), "utf8")) as {
    config: Record<string, unknown>;
  };
  const config: Record<string, unknown> = {
    ...document.config,
    [`${projectName}:clusterName`]: name,
  };
  for (const [key, value] of Object.entries(change)) config[`${projectName}:${key}`] = value;
  return stringify({ config });
}

const exampleDomains = fs.readFileSync(
  path.join(path.dirname(stackFilePath(exampleStacks[0])), "routing-domains.yaml"),
  "utf8",
);

/** A stacks directory holding these stack files and routing domains (default: the examples'). */
function stacksDir(
  stacks: Record<string, string>,
  domains: Record<string, { routedPodNetworks: boolean }> | string = exampleDomains,
): string {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "check-stacks-"));
  temporaryDirectories.push(directory);
  for (const [name, body] of Object.entries(stacks)) {
    fs.writeFileSync(path.join(directory, `Pulumi.${name}.yaml`), body);
  }
  fs.writeFileSync(
    path.join(directory, "routing-domains.yaml"),
    typeof domains === "string" ? domains : stringify({ routingDomains: domains }),
  );
  return directory;
}

function writeJson(value: unknown): string {
  const configDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "check-config-"));
  temporaryDirectories.push(configDirectory);
  const file = path.join(configDirectory, "org.json");
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

/** The summary line of one stack. */
const summaryOf = (stdout: string, stack: string) =>
  stdout.split("\n").find((line) => line.trimStart().startsWith(`${stack} `)) ?? "";

// Small, fast variants: search-dev has 2 AZs and one worker group.
const base = exampleStacks.includes("search-dev") ? "search-dev" : exampleStacks[0];

describe("npm run check", () => {
  it("passes every example stack, with the pack's header as pulumi preview prints it", async () => {
    const directory = stacksDir(
      Object.fromEntries(
        exampleStacks.map((stack) => [stack, fs.readFileSync(stackFilePath(stack), "utf8")]),
      ),
    );
    const { status, stdout, stderr } = await check("--all", "--stacks-dir", directory);
    assert.equal(status, 0, stdout + stderr);
    for (const stack of exampleStacks) {
      assert.ok(
        stdout.includes(`== ${stack}\nPolicies:\n    ✅ ${pack} (local: policy)\n`),
        stdout,
      );
      assert.match(summaryOf(stdout, stack), /passed\s+\d+ resources, no violations/);
    }
    assert.match(stdout, /no collisions between stacks that share a domain/);
    assert.match(stdout, new RegExp(`\\nstacks: ${exampleStacks.length} passed, 0 failed\\n?$`));
  });

  it("fails a stack whose pod pool overlaps its VPC with the program's refusal", async () => {
    const { config } = loadExample(base);
    const pool = config.vpcCidr; // the planner refuses a pool on the VPC range
    const directory = stacksDir({ broken: variant(base, "broken", { podCidr: pool }) });
    const { status, stdout, stderr } = await check("--stack", "broken", "--stacks-dir", directory);
    assert.equal(status, 1, stdout + stderr);
    assert.match(
      stdout,
      /pulumi:pulumi:Stack \(calico-cluster-broken\):\n {4}error: the address plan of broken cannot work/,
    );
    assert.match(
      stdout,
      /ERROR cidr-overlap: VPC calico-cluster:vpcCidr .* overlaps pod pool calico-cluster:podCidr/,
    );
    assert.match(summaryOf(stdout, "broken"), /FAILED\s+program error$/);
    assert.match(stdout, /stacks: 0 passed, 1 failed/);
    noStackTrace(stdout + stderr);
  });

  it("fails on a mandatory violation only the pack sees (an organisation reserved range), as pulumi preview prints it", async () => {
    const { config } = loadExample(base);
    const reserved = { name: "legacy-dc", cidr: config.vpcCidr };
    const orgConfig = writeJson({ "no-cidr-overlap": { reservedRanges: [reserved] } });
    const directory = stacksDir({ team: variant(base, "team") });
    const { status, stdout, stderr } = await check(
      "--stack",
      "team",
      "--stacks-dir",
      directory,
      "--policy-config",
      orgConfig,
    );
    assert.equal(status, 1, stdout + stderr);
    assert.ok(
      stdout.includes(
        `    ❌ ${pack} (local: policy)\n        - [mandatory]  no-cidr-overlap  (aws:ec2/vpc:Vpc: vpc)\n`,
      ),
      stdout,
    );
    assert.ok(stdout.includes(`"legacy-dc"`), stdout);
    assert.ok(stdout.includes(`(${config.vpcCidr})`), stdout);
    assert.match(summaryOf(stdout, "team"), /FAILED\s+1 mandatory policy violation$/);
    noStackTrace(stdout + stderr);

    // CI's preview gets the same config from policy-config.
    const printed = run(
      "policy-config",
      "--stack",
      "team",
      "--stacks-dir",
      directory,
      "--policy-config",
      orgConfig,
    );
    assert.equal(printed.status, 0, printed.stderr);
    const ranges = JSON.parse(printed.stdout)["no-cidr-overlap"].reservedRanges;
    assert.deepEqual(ranges, [...config.reservedRanges, reserved]);
  });

  it("prints advisory violations but passes", async () => {
    const { config } = loadExample(base);
    const orgConfig = writeJson({
      "no-cidr-overlap": {
        enforcementLevel: "advisory",
        reservedRanges: [{ name: "legacy-dc", cidr: config.vpcCidr }],
      },
    });
    const directory = stacksDir({ team: variant(base, "team") });
    const { status, stdout, stderr } = await check(
      "--all",
      "--stacks-dir",
      directory,
      "--policy-config",
      orgConfig,
    );
    assert.equal(status, 0, stdout + stderr);
    assert.ok(
      stdout.includes(
        `    ⚠️ ${pack} (local: policy)\n        - [advisory]  no-cidr-overlap  (aws:ec2/vpc:Vpc: vpc)\n`,
      ),
      stdout,
    );
    assert.match(summaryOf(stdout, "team"), /passed\s+\d+ resources, 1 advisory violation/);
    assert.match(stdout, /stacks: 1 passed, 0 failed/);
  });

  it("reports an invalid config and an invalid routing domains file without running anything (the CLI process itself)", () => {
    const directory = stacksDir(
      { bad: variant(base, "bad", { vpcCidr: "10.0.0.1/16" }) },
      "routingDomains:\n  Corp: {}\n",
    );
    const { status, stdout, stderr } = run("check", "--all", "--stacks-dir", directory);
    assert.equal(status, 1, stdout + stderr);
    assert.match(stdout, /ERROR calico-cluster:vpcCidr = "10\.0\.0\.1\/16" has host bits set/);
    assert.match(stdout, /routing-domains\.yaml: routingDomains\.Corp/);
    assert.match(stdout, /stacks: 0 passed, 1 failed; routing domains file invalid/);
    noStackTrace(stdout + stderr);
  });

  it("checks routing domains across stacks: overlapping VPCs and a pod range on another's VPC fail; repeats and other domains pass", async () => {
    const directory = stacksDir(
      {
        alpha: variant(base, "alpha", { vpcCidr: "10.50.0.0/18", podCidr: "100.70.0.0/18" }),
        beta: variant(base, "beta", { vpcCidr: "10.50.0.0/18", podCidr: "100.71.0.0/18" }),
        gamma: variant(base, "gamma", { vpcCidr: "10.60.0.0/18", podCidr: "10.61.0.0/18" }),
        delta: variant(base, "delta", { vpcCidr: "10.61.0.0/18", podCidr: "100.72.0.0/18" }),
        // Repeats alpha's pod range: pod networks are not routed in corp.
        epsilon: variant(base, "epsilon", { vpcCidr: "10.62.0.0/18", podCidr: "100.70.0.0/18" }),
        // alpha's VPC range again, but in a domain of its own.
        zeta: variant(base, "zeta", {
          vpcCidr: "10.50.0.0/18",
          podCidr: "100.73.0.0/18",
          routingDomain: "lab",
        }),
      },
      { corp: { routedPodNetworks: false }, lab: { routedPodNetworks: false } },
    );
    const { status, stdout, stderr } = await check("--all", "--stacks-dir", directory);
    assert.equal(status, 1, stdout + stderr);
    // Each finding names both stacks and keys ("where:"), and both ranges.
    const where = stdout
      .split("\n")
      .filter((line) => line.trimStart().startsWith("where:"))
      .map((line) => line.trim().slice("where: ".length).split(", ").sort().join(" & "));
    assert.deepEqual(where.sort(), [
      "alpha: calico-cluster:vpcCidr & beta: calico-cluster:vpcCidr",
      "delta: calico-cluster:vpcCidr & gamma: calico-cluster:podCidr",
    ]);
    assert.match(
      stdout,
      /alpha calico-cluster:vpcCidr \(10\.50\.0\.0\/18\) overlaps beta calico-cluster:vpcCidr \(10\.50\.0\.0\/18\)/,
    );
    assert.match(
      stdout,
      /(delta calico-cluster:vpcCidr|gamma calico-cluster:podCidr) \(10\.61\.0\.0\/18\) overlaps (gamma calico-cluster:podCidr|delta calico-cluster:vpcCidr) \(10\.61\.0\.0\/18\)/,
    );
    assert.match(summaryOf(stdout, "alpha"), /FAILED\s+routing domain collision with beta$/);
    assert.match(summaryOf(stdout, "beta"), /FAILED\s+routing domain collision with alpha$/);
    assert.match(summaryOf(stdout, "gamma"), /FAILED\s+routing domain collision with delta$/);
    assert.match(summaryOf(stdout, "delta"), /FAILED\s+routing domain collision with gamma$/);
    assert.match(summaryOf(stdout, "epsilon"), /passed/);
    assert.match(summaryOf(stdout, "zeta"), /passed/);
    assert.match(stdout, /stacks: 2 passed, 4 failed/);
  });

  it("fails repeated pod ranges when the domain routes pod networks (--json)", async () => {
    const directory = stacksDir(
      {
        alpha: variant(base, "alpha", { vpcCidr: "10.50.0.0/18", podCidr: "100.70.0.0/18" }),
        epsilon: variant(base, "epsilon", { vpcCidr: "10.62.0.0/18", podCidr: "100.70.0.0/18" }),
      },
      { corp: { routedPodNetworks: true } },
    );
    const { status, stdout, stderr } = await check("--all", "--json", "--stacks-dir", directory);
    assert.equal(status, 1, stdout + stderr);
    const report = JSON.parse(stdout) as CheckReport;
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.routingDomains.findings.map((finding) => finding.subjects),
      [["alpha: calico-cluster:podCidr", "epsilon: calico-cluster:podCidr"]],
    );
    assert.match(report.routingDomains.findings[0].message, /\(routes pod networks\)/);
    assert.deepEqual(
      report.stacks.map((result) => [result.stack, result.ok, result.failures, result.violations]),
      [
        ["alpha", false, ["routing domain collision with epsilon"], []],
        ["epsilon", false, ["routing domain collision with alpha"], []],
      ],
    );
    assert.ok(report.stacks.every((result) => result.resourceCount > 0 && result.policyPack));
    assert.deepEqual([report.passed, report.failed], [0, 2]);
  });

  it("--shard K/N: every stack in exactly one shard, each routing-domain collision reported by one shard", async () => {
    const stacks = {
      alpha: variant(base, "alpha", { vpcCidr: "10.50.0.0/18", podCidr: "100.70.0.0/18" }),
      epsilon: variant(base, "epsilon", { vpcCidr: "10.50.0.0/18", podCidr: "100.71.0.0/18" }),
      gamma: variant(base, "gamma", { vpcCidr: "10.60.0.0/18", podCidr: "100.72.0.0/18" }),
      delta: variant(base, "delta", { vpcCidr: "10.61.0.0/18", podCidr: "100.73.0.0/18" }),
    };
    const directory = stacksDir(stacks, { corp: { routedPodNetworks: false } });
    const count = 3;
    const reports: CheckReport[] = [];
    for (let index = 1; index <= count; index++) {
      const args = ["--all", "--json", "--stacks-dir", directory, "--shard", `${index}/${count}`];
      const { status, stdout } = await check(...args);
      const report = JSON.parse(stdout) as CheckReport;
      assert.equal(status, report.ok ? 0 : 1);
      assert.deepEqual(
        report.stacks.map((result) => result.stack),
        Object.keys(stacks)
          .sort()
          .filter((stack) => shardOf(stack, count) === index),
      );
      reports.push(report);
    }
    const checked = reports.flatMap((report) => report.stacks.map((result) => result.stack));
    assert.deepEqual(checked.sort(), Object.keys(stacks).sort());
    // alpha and epsilon (in another shard) collide: reported once, by alpha's shard (alpha sorts first).
    const findings = reports.flatMap((report, index) =>
      report.routingDomains.findings.map((finding) => ({ shard: index + 1, finding })),
    );
    assert.deepEqual(
      findings.map(({ shard, finding }) => [shard, finding.subjects]),
      [
        [
          shardOf("alpha", count),
          ["alpha: calico-cluster:vpcCidr", "epsilon: calico-cluster:vpcCidr"],
        ],
      ],
    );
    assert.notEqual(shardOf("alpha", count), shardOf("epsilon", count));
    const alpha = reports[shardOf("alpha", count) - 1].stacks.find((r) => r.stack === "alpha");
    assert.deepEqual(alpha?.failures, ["routing domain collision with epsilon"]);
    assert.equal(reports[shardOf("alpha", count) - 1].ok, false);

    const text = await check("--all", "--stacks-dir", directory, "--shard", `1/${count}`);
    assert.match(text.stdout, new RegExp(`\\(shard 1/${count}\\)\\n$`));
  });

  it("refuses bad usage with exit code 2", () => {
    for (const args of [
      [],
      ["--all", "--stack", base],
      ["--stack", "nope"],
      ["--bogus"],
      ["--all", "--shard", "3/2"],
      ["--all", "--shard", "0/1"],
      ["--all", "--shard", "two"],
    ]) {
      const { status, stderr } = run("check", ...args);
      assert.equal(status, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, /^check: .+\nusage: npm run check/);
    }
  });
});

describe("npm run policy-config", () => {
  it("prints each example stack's reserved ranges and service range for no-cidr-overlap", () => {
    for (const stack of exampleStacks) {
      const { status, stdout, stderr } = run("policy-config", "--stack", stack);
      assert.equal(status, 0, stderr);
      const { config } = loadExample(stack);
      assert.deepEqual(JSON.parse(stdout), packConfigFor(config));
      assert.deepEqual(JSON.parse(stdout)["no-cidr-overlap"], {
        reservedRanges: config.reservedRanges,
        serviceCidr: config.serviceCidr,
      });
    }
  });

  it("refuses a missing or invalid stack with one line on stderr and exit 1", () => {
    const directory = stacksDir({ bad: variant(base, "bad", { vpcCidr: "10.0.0.1/16" }) });
    for (const stack of ["bad", "nope"]) {
      const { status, stdout, stderr } = run(
        "policy-config",
        "--stack",
        stack,
        "--stacks-dir",
        directory,
      );
      assert.equal(status, 1, stderr);
      assert.equal(stdout, "");
      assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
      assert.match(stderr, new RegExp(`^policy-config: .*Pulumi\\.${stack}\\.yaml`));
    }
    assert.match(
      run("policy-config", "--stack", "bad", "--stacks-dir", directory).stderr,
      /calico-cluster:vpcCidr = "10\.0\.0\.1\/16" has host bits set/,
    );
  });
});
