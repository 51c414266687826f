/**
 * `calico-cluster:ipam.poolId`: bad pool ids are refused naming the key; the
 * program declares its VPC from the pool with exactly the planned range; the
 * plan, and the pack through `npm run check`, treat it like any VPC.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { parse as parseYaml, stringify } from "yaml";
import { runProgramUnderMocks } from "../lib/harness/programRun";
import { planAddresses } from "../lib/plan/addressPlan";
import { stackFilePath } from "../lib/config/stackFiles";
import { configFrom, problemsFor, validClusterInput } from "./support/configs";
import { loadExample } from "./support/stacks";

const root = path.join(__dirname, "..");
const poolId = "ipam-pool-0123456789abcdef0";
const temporaryDirectories: string[] = [];
after(() => {
  for (const directory of temporaryDirectories)
    fs.rmSync(directory, { recursive: true, force: true });
});

describe("ipam config", () => {
  it("accepts an IPAM pool id and plans the VPC range as without it", () => {
    const config = configFrom({ ...validClusterInput(), ipam: { poolId } });
    assert.equal(config.ipam?.poolId, poolId);
    assert.deepEqual(planAddresses(config), planAddresses(configFrom(validClusterInput())));
  });

  for (const [value, expected] of [
    [{ poolId: "pool-123" }, /^calico-cluster:ipam\.poolId = "pool-123" is not an IPAM pool id/],
    [{ poolId: "ipam-pool-XYZ" }, /^calico-cluster:ipam\.poolId = "ipam-pool-XYZ" is not an IPAM/],
    [{}, /^calico-cluster:ipam\.poolId is required/],
    [{ poolId, netmaskLength: 16 }, /^calico-cluster:ipam\.netmaskLength is not a known key/],
    ["ipam-pool-0123456789abcdef0", /^calico-cluster:ipam /],
  ] as const) {
    it(`refuses ipam: ${JSON.stringify(value)}, naming the key`, () => {
      const problems = problemsFor({ ...validClusterInput(), ipam: value });
      assert.equal(problems.length, 1, JSON.stringify(problems));
      assert.match(`${problems[0].subjects[0]} ${problems[0].message}`, expected);
    });
  }
});

describe("a stack with ipam.poolId", () => {
  it("declares its VPC from the pool with its planned range (the whole program, preview)", async () => {
    const result = await runProgramUnderMocks({
      stack: "payments-prod",
      preview: true,
      configOverrides: { "calico-cluster:ipam": { poolId } },
    });
    assert.ok(result.ok, result.ok ? "" : result.error);
    const vpcs = result.resources.filter((resource) => resource.type === "aws:ec2/vpc:Vpc");
    assert.equal(vpcs.length, 1);
    assert.equal(vpcs[0].inputs.ipv4IpamPoolId, poolId);
    assert.equal(vpcs[0].inputs.cidrBlock, loadExample("payments-prod").plan.vpcCidr);
    assert.equal(
      vpcs[0].inputs.ipv4NetmaskLength,
      undefined,
      "the plan, not IPAM, picks the range",
    );
  });

  it("passes npm run check like any VPC", () => {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), "ipam-stacks-"));
    temporaryDirectories.push(directory);
    const document = parseYaml(fs.readFileSync(stackFilePath("search-dev"), "utf8")) as {
      config: Record<string, unknown>;
    };
    document.config["calico-cluster:ipam"] = { poolId };
    fs.writeFileSync(path.join(directory, "Pulumi.search-dev.yaml"), stringify(document));
    fs.copyFileSync(
      path.join(root, "stacks", "routing-domains.yaml"),
      path.join(directory, "routing-domains.yaml"),
    );
    const check = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(root, "scripts", "check.ts"),
        "--all",
        "--stacks-dir",
        directory,
      ],
      { cwd: root, encoding: "utf8" },
    );
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /stacks: 1 passed, 0 failed/);
  });
});
