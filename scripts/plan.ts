/**
 * `npm run plan -- --stack <name> | --all [--json]`: plans team stacks from the
 * stack files alone (no Pulumi CLI, no credentials) and refuses plans that
 * cannot work. Exit code 1 when any plan has an error, 2 on bad usage.
 */
import { parseArgs } from "node:util";
import { planAddresses } from "../lib/addressPlan";
import { deploymentProblems } from "../lib/deployability";
import { formatResult, type StackPlanResult, stackPlanResult } from "../lib/planReport";
import { listStacks, loadStack, stackFilePath, stacksDirectory } from "../lib/stackFiles";
import * as fs from "node:fs";

const usage = `usage: npm run plan -- (--stack <name> | --all) [--json] [--stacks-dir <dir>]`;

function fail(message: string): never {
  console.error(`plan: ${message}\n${usage}`);
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
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

export function planStack(stack: string, directory: string): StackPlanResult {
  const loaded = loadStack(stack, directory);
  if (!loaded.ok) return stackPlanResult(stack, { problems: loaded.problems });
  const plan = planAddresses(loaded.config);
  return stackPlanResult(stack, { plan, problems: deploymentProblems(loaded.config, plan) });
}

function main(): void {
  const options = parseCommandLine();
  if (options.help) {
    console.log(usage);
    return;
  }
  const directory = options["stacks-dir"];
  if (!fs.existsSync(directory)) fail(`--stacks-dir ${directory} does not exist`);
  const requested = options.stack ?? [];
  if (options.all === requested.length > 0) fail("give either --stack <name> or --all");
  const available = listStacks(directory);
  for (const stack of requested) {
    if (!available.includes(stack)) {
      fail(
        `no stack file ${stackFilePath(stack, directory)} (stacks: ${available.join(", ") || "none"})`,
      );
    }
  }
  const stacks = options.all ? available : requested;
  if (stacks.length === 0) fail(`no stack files in ${directory}`);

  const results = stacks.map((stack) => planStack(stack, directory));
  if (options.json) {
    const payload = options.all || results.length > 1 ? results : results[0];
    console.log(JSON.stringify(payload, null, 2));
  } else {
    console.log(results.map(formatResult).join("\n\n"));
    const refused = results.filter((result) => !result.ok).map((result) => result.stack);
    console.log(
      `\n${results.length} stack(s) planned; ${refused.length === 0 ? "all ok" : `refused: ${refused.join(", ")}`}`,
    );
  }
  process.exitCode = results.every((result) => result.ok) ? 0 : 1;
}

main();
