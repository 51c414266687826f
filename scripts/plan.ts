/**
 * `npm run plan -- --stack <name> | --all [--json]`: plans team stacks from the
 * stack files alone (no Pulumi CLI, no credentials) and refuses plans that
 * cannot work. Exit code 1 when any plan has an error, 2 on bad usage.
 *
 * `npm run plan -- --suggest-vpc /<prefix> --routing-domain <name>`: the lowest
 * free VPC range (and a pod range) for a new stack in that domain; exit 1 when
 * nothing fits.
 */
import { planAddresses } from "../lib/plan/addressPlan";
import { type Command, exitWith, parseOptions, selectStacks } from "../lib/cli";
import { deploymentProblems } from "../lib/deployability";
import { formatResult, type StackPlanResult, stackPlanResult } from "../lib/plan/report";
import * as path from "node:path";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { projectName } from "../lib/config/clusterConfig";
import {
  listStacks,
  loadRoutingDomains,
  loadStack,
  stacksDirectory,
} from "../lib/config/stackFiles";
import { parseCidr, type Cidr } from "../policy/rules/cidr";
import { suggestRanges } from "../lib/plan/suggestion";

const command: Command = {
  name: "plan",
  usage: [
    "usage: npm run plan -- (--stack <name> | --all) [--json] [--stacks-dir <dir>]",
    "       npm run plan -- --suggest-vpc /<prefix> --routing-domain <name> [--within <cidr>]... [--pod-prefix /<n>] [--json] [--stacks-dir <dir>]",
  ].join("\n"),
};

export function planStack(stack: string, directory: string): StackPlanResult {
  const loaded = loadStack(stack, directory);
  if (!loaded.ok) return stackPlanResult(stack, { problems: loaded.problems });
  const plan = planAddresses(loaded.config);
  return stackPlanResult(stack, { plan, problems: deploymentProblems(loaded.config, plan) });
}

/** `/16` or `16` → 16; anything else is a usage error naming the option. */
function prefixOption(command: Command, option: string, value: string): number {
  const match = /^\/?(\d{1,2})$/.exec(value);
  if (!match) exitWith(command, `--${option} ${value} is not a prefix length such as /16`);
  return Number(match[1]);
}

interface SuggestOptions {
  readonly vpcPrefix: string;
  readonly routingDomain: string | undefined;
  readonly within: readonly string[];
  readonly podPrefix: string | undefined;
  readonly json: boolean;
  readonly stacksDir: string;
}

/** Prints the suggestion (JSON or a stack-file snippet); returns the exit code. */
function suggest(command: Command, options: SuggestOptions): number {
  const vpcPrefix = prefixOption(command, "suggest-vpc", options.vpcPrefix);
  const podPrefix =
    options.podPrefix === undefined
      ? undefined
      : prefixOption(command, "pod-prefix", options.podPrefix);
  const within = options.within.map((text): Cidr => {
    const parsed = parseCidr(text);
    if (!parsed.ok) return exitWith(command, `--within ${text} ${parsed.reason}`);
    if (parsed.cidr.family !== "ipv4") return exitWith(command, `--within ${text} must be IPv4`);
    return parsed.cidr;
  });
  const domain = options.routingDomain;
  if (domain === undefined) exitWith(command, "--suggest-vpc needs --routing-domain <name>");
  const stacksDir = path.resolve(options.stacksDir);
  const domains = loadRoutingDomains(stacksDir);
  if (!domains.ok) {
    return exitWith(
      command,
      domains.problems
        .map((problem) => `${problem.subjects.join(", ")} ${problem.message}`)
        .join("; "),
      1,
    );
  }
  if (!(domain in domains.domains)) {
    exitWith(
      command,
      `routing domain ${domain} is not declared (declared: ${Object.keys(domains.domains).join(", ") || "none"})`,
    );
  }
  // A stack whose file cannot be read might hold any range: refuse rather than guess.
  const members: ClusterConfig[] = [];
  const unreadable: string[] = [];
  for (const stack of listStacks(stacksDir)) {
    const loaded = loadStack(stack, stacksDir);
    if (!loaded.ok) unreadable.push(stack);
    else if (loaded.config.routingDomain === domain) members.push(loaded.config);
  }
  if (unreadable.length > 0) {
    return exitWith(
      command,
      `cannot suggest a range while stack(s) ${unreadable.join(", ")} have invalid config (npm run plan -- --stack ${unreadable[0]} says why)`,
      1,
    );
  }
  const { routedPodNetworks } = domains.domains[domain];
  const suggestion = suggestRanges({
    domain,
    routedPodNetworks,
    members,
    vpcPrefix,
    ...(within.length > 0 ? { within } : {}),
    ...(podPrefix !== undefined ? { podPrefix } : {}),
  });
  if (!suggestion.ok) return exitWith(command, suggestion.reason, 1);
  if (options.json) {
    const payload = routedPodNetworks
      ? { vpcCidr: suggestion.vpcCidr, podCidr: suggestion.podCidr }
      : { vpcCidr: suggestion.vpcCidr };
    console.log(JSON.stringify(payload, null, 2));
    return 0;
  }
  console.log(
    [
      `# Lowest free /${vpcPrefix} in routing domain ${domain}, clear of the ${suggestion.avoided} VPC, pod, service and reserved ranges of its ${members.length} stack(s).`,
      `  ${projectName}:routingDomain: ${domain}`,
      `  ${projectName}:vpcCidr: ${suggestion.vpcCidr}`,
      routedPodNetworks
        ? `  ${projectName}:podCidr: ${suggestion.podCidr} # ${domain} routes pod networks: no other stack may use it`
        : `  ${projectName}:podCidr: ${suggestion.podCidr} # pod ranges may repeat in ${domain}; this one avoids every VPC and reserved range`,
      `# Keep the default serviceCidr (10.96.0.0/12) and the organisation's reservedRanges; then npm run check -- --all.`,
    ].join("\n"),
  );
  return 0;
}

function main(): void {
  const options = parseOptions(command, {
    stack: { type: "string", multiple: true },
    all: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    "stacks-dir": { type: "string", default: stacksDirectory },
    "suggest-vpc": { type: "string" },
    "routing-domain": { type: "string" },
    within: { type: "string", multiple: true },
    "pod-prefix": { type: "string" },
    help: { type: "boolean", default: false },
  });
  if (options.help) {
    console.log(command.usage);
    return;
  }
  if (options["suggest-vpc"] !== undefined) {
    if (options.all || options.stack)
      exitWith(command, "--suggest-vpc plans no stack: drop --stack/--all");
    process.exitCode = suggest(command, {
      vpcPrefix: options["suggest-vpc"],
      routingDomain: options["routing-domain"],
      within: options.within ?? [],
      podPrefix: options["pod-prefix"],
      json: options.json,
      stacksDir: options["stacks-dir"],
    });
    return;
  }
  for (const option of ["routing-domain", "within", "pod-prefix"] as const) {
    if (options[option] !== undefined)
      exitWith(command, `--${option} only goes with --suggest-vpc`);
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
