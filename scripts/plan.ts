/**
 * `npm run plan -- --stack <name> | --all [--json]`: plans team stacks from the
 * stack files alone (no Pulumi CLI, no credentials) and refuses plans that
 * cannot work. Exit code 1 when any plan has an error, 2 on bad usage.
 */
import { planAddresses } from "../lib/plan/addressPlan";
import { type Command, parseOptions, selectStacks } from "../lib/cli";
import { deploymentProblems } from "../lib/deployability";
import { formatResult, type StackPlanResult, stackPlanResult } from "../lib/plan/report";
import { loadStack, stacksDirectory } from "../lib/config/stackFiles";

const command: Command = {
  name: "plan",
  usage: "usage: npm run plan -- (--stack <name> | --all) [--json] [--stacks-dir <dir>]",
};

export function planStack(stack: string, directory: string): StackPlanResult {
  const loaded = loadStack(stack, directory);
  if (!loaded.ok) return stackPlanResult(stack, { problems: loaded.problems });
  const plan = planAddresses(loaded.config);
  return stackPlanResult(stack, { plan, problems: deploymentProblems(loaded.config, plan) });
}

function main(): void {
  const options = parseOptions(command, {
    stack: { type: "string", multiple: true },
    all: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "stacks-dir": { type: "string", default: stacksDirectory },
    help: { type: "boolean", default: false },
  });
  if (options.help) {
    console.log(command.usage);
    return;
  }
  const { stacksDir, stacks } = selectStacks(command, options);

  const results = stacks.map((stack) => planStack(stack, stacksDir));
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
