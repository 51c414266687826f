/**
 * `npm run check -- (--stack <name> | --all) [--shard K/N] [--json]
 * [--stacks-dir <dir>] [--policy-config <file>]`: for each stack, validates its
 * config, runs the program under mocks and sends its resources to the policy
 * pack as `pulumi preview --policy-pack policy` would, then checks the routing
 * domains the stacks share. No Pulumi CLI, no credentials. On a terminal,
 * progress goes to stderr.
 *
 * Exit code 0 when every stack passes (advisory violations allowed); 1 on a
 * config problem, a program error, a mandatory violation or a routing-domain
 * problem; 2 on bad usage or an unbuilt pack.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { formatReport } from "../lib/check/report";
import {
  type Command,
  exitWith,
  parseOptions,
  readPolicyConfigFile,
  selectStacks,
} from "../lib/cli";
import { Progress } from "../lib/check/progress";
import { parseShard } from "../lib/check/shard";
import { defaultPackDir, checkStacks } from "../lib/check/stackCheck";
import { stacksDirectory } from "../lib/config/stackFiles";

const command: Command = {
  name: "check",
  usage:
    "usage: npm run check -- (--stack <name> | --all) [--shard K/N] [--json] [--stacks-dir <dir>] [--policy-config <file>]",
};

async function main(): Promise<void> {
  const options = parseOptions(command, {
    stack: { type: "string", multiple: true },
    all: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "stacks-dir": { type: "string", default: stacksDirectory },
    "policy-config": { type: "string" },
    shard: { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (options.help) {
    console.log(command.usage);
    return;
  }
  const { stacksDir, stacks, available } = selectStacks(command, options);
  if (!fs.existsSync(path.join(defaultPackDir, "bin", "index.js"))) {
    exitWith(
      command,
      "the policy pack is not built (policy/bin/index.js): run npm run build:policy",
    );
  }
  const extraPackConfig = readPolicyConfigFile(command, options["policy-config"]) ?? {};
  const shard = options.shard === undefined ? undefined : parseShard(options.shard);
  if (shard && !shard.ok) exitWith(command, shard.message);

  const progress = new Progress();
  const report = await checkStacks(stacks, available, {
    stacksDir,
    extraPackConfig,
    shard: shard?.shard,
    onProgress: (done, total) => progress.update(done, total),
  }).finally(() => progress.finish());
  console.log(
    options.json
      ? JSON.stringify(report, null, 2)
      : formatReport(report, defaultPackDir, shard?.shard),
  );
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(`check: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  process.exitCode = 2;
});
