/**
 * `npm run --silent policy-config -- --stack <name> [--stacks-dir <dir>]
 * [--policy-config <file>]`: prints the policy pack config for one stack, derived
 * from its stack file exactly as `npm run check` derives it, for `pulumi preview
 * --policy-pack policy --policy-pack-config <file>`. Exit 1 for a missing or
 * invalid stack, 2 on bad usage; the reason is one line on stderr.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { displayPath } from "../lib/checkReport";
import { mergePackConfig, packConfigFor, parsePackConfig } from "../lib/policyConfig";
import { listStacks, loadStack, stackFilePath, stacksDirectory } from "../lib/stackFiles";

const usage =
  "usage: npm run --silent policy-config -- --stack <name> [--stacks-dir <dir>] [--policy-config <file>]";

function fail(message: string, code: 1 | 2): never {
  console.error(`policy-config: ${message}${code === 2 ? `\n${usage}` : ""}`);
  process.exit(code);
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        stack: { type: "string" },
        "stacks-dir": { type: "string", default: stacksDirectory },
        "policy-config": { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error), 2);
  }
}

function main(): void {
  const options = parseCommandLine();
  if (options.help) {
    console.log(usage);
    return;
  }
  const stack = options.stack;
  if (!stack) fail("give --stack <name>", 2);
  const stacksDir = path.resolve(options["stacks-dir"]);
  if (!fs.existsSync(stacksDir)) fail(`--stacks-dir ${options["stacks-dir"]} does not exist`, 2);
  const file = displayPath(stackFilePath(stack, stacksDir));
  if (!listStacks(stacksDir).includes(stack)) {
    fail(`no stack file ${file} (stacks: ${listStacks(stacksDir).join(", ") || "none"})`, 1);
  }
  const loaded = loadStack(stack, stacksDir);
  if (!loaded.ok) {
    const problems = loaded.problems.map((problem) => `${problem.key} ${problem.message}`);
    fail(`${file} is invalid: ${problems.join("; ")}`, 1);
  }
  let config = packConfigFor(loaded.config);
  const extraFile = options["policy-config"];
  if (extraFile !== undefined) {
    if (!fs.existsSync(extraFile)) fail(`--policy-config ${extraFile} does not exist`, 2);
    const extra = parsePackConfig(fs.readFileSync(extraFile, "utf8"), extraFile);
    if (!extra.ok) fail(extra.problems.join("; "), 2);
    config = mergePackConfig(config, extra.config);
  }
  console.log(JSON.stringify(config, null, 2));
}

main();
