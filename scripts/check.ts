/**
 * `npm run check -- (--stack <name> | --all) [--json] [--stacks-dir <dir>]
 * [--policy-config <file>]`: for each stack, validates its config, runs the
 * program under mocks and sends its resources to the policy pack as `pulumi
 * preview --policy-pack policy` would, then checks the routing domains the
 * stacks share. No Pulumi CLI, no credentials.
 *
 * Exit code 0 when every stack passes (advisory violations allowed); 1 on a
 * config problem, a program error, a mandatory violation or a routing-domain
 * problem; 2 on bad usage or an unbuilt pack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { formatReport } from "../lib/checkReport";
import { defaultPackDir, checkStacks } from "../lib/policyCheck";
import { type PolicyPackConfig, parsePackConfig } from "../lib/policyConfig";
import { listStacks, stackFilePath, stacksDirectory } from "../lib/stackFiles";

const usage =
  "usage: npm run check -- (--stack <name> | --all) [--json] [--stacks-dir <dir>] [--policy-config <file>]";

function fail(message: string): never {
  console.error(`check: ${message}\n${usage}`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        stack: { type: "string", multiple: true },
        all: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        "stacks-dir": { type: "string", default: stacksDirectory },
        "policy-config": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

/** Reads the `--policy-config` file; its problems are usage errors. */
function readExtraPackConfig(file: string | undefined): PolicyPackConfig {
  if (file === undefined) return {};
  if (!fs.existsSync(file)) fail(`--policy-config ${file} does not exist`);
  const parsed = parsePackConfig(fs.readFileSync(file, "utf8"), file);
  if (!parsed.ok) fail(parsed.problems.join("; "));
  return parsed.config;
}

async function main(): Promise<void> {
  const options = parseCommandLine();
  if (options.help) {
    console.log(usage);
    return;
  }
  const stacksDir = path.resolve(options["stacks-dir"]);
  if (!fs.existsSync(stacksDir)) fail(`--stacks-dir ${options["stacks-dir"]} does not exist`);
  const requested = options.stack ?? [];
  if (options.all === requested.length > 0) fail("give either --stack <name> or --all");
  const available = listStacks(stacksDir);
  for (const stack of requested) {
    if (!available.includes(stack)) {
      fail(
        `no stack file ${stackFilePath(stack, stacksDir)} (stacks: ${available.join(", ") || "none"})`,
      );
    }
  }
  const stacks = options.all ? available : [...new Set(requested)];
  if (stacks.length === 0) fail(`no stack files in ${stacksDir}`);
  if (!fs.existsSync(path.join(defaultPackDir, "bin", "index.js"))) {
    fail("the policy pack is not built (policy/bin/index.js): run npm run build:policy");
  }
  const extraPackConfig = readExtraPackConfig(options["policy-config"]);

  const report = await checkStacks(stacks, available, { stacksDir, extraPackConfig });
  console.log(
    options.json ? JSON.stringify(report, null, 2) : formatReport(report, defaultPackDir),
  );
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(`check: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exitCode = 2;
});
