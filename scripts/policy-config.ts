/**
 * `npm run --silent policy-config -- --stack <name> [--stacks-dir <dir>]
 * [--policy-config <file>]`: prints the policy pack config for one stack, derived
 * from its stack file exactly as `npm run check` derives it, for `pulumi preview
 * --policy-pack policy --policy-pack-config <file>`. Exit 1 for a missing or
 * invalid stack, 2 on bad usage; the reason is one line on stderr.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { describeProblem } from "../lib/config/problems";
import { displayPath } from "../lib/displayPath";
import { type Command, exitWith, parseOptions, readPolicyConfigFile } from "../lib/cli";
import { mergePackConfig, packConfigFor } from "../lib/check/packConfig";
import { listStacks, loadStack, stackFilePath, stacksDirectory } from "../lib/config/stackFiles";

const command: Command = {
  name: "policy-config",
  usage:
    "usage: npm run --silent policy-config -- --stack <name> [--stacks-dir <dir>] [--policy-config <file>]",
};

function main(): void {
  const options = parseOptions(command, {
    stack: { type: "string" },
    "stacks-dir": { type: "string", default: stacksDirectory },
    "policy-config": { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (options.help) {
    console.log(command.usage);
    return;
  }
  const stack = options.stack;
  if (!stack) exitWith(command, "give --stack <name>");
  const stacksDir = path.resolve(options["stacks-dir"]);
  if (!fs.existsSync(stacksDir))
    exitWith(command, `--stacks-dir ${options["stacks-dir"]} does not exist`);
  const file = displayPath(stackFilePath(stack, stacksDir));
  const available = listStacks(stacksDir);
  if (!available.includes(stack)) {
    exitWith(command, `no stack file ${file} (stacks: ${available.join(", ") || "none"})`, 1);
  }
  const loaded = loadStack(stack, stacksDir);
  if (!loaded.ok) {
    const problems = loaded.problems.map((problem) => describeProblem(problem));
    exitWith(command, `${file} is invalid: ${problems.join("; ")}`, 1);
  }
  const extra = readPolicyConfigFile(command, options["policy-config"]);
  const config = packConfigFor(loaded.config);
  console.log(JSON.stringify(extra ? mergePackConfig(config, extra) : config, null, 2));
}

main();
