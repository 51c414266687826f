/**
 * `npm run map -- (--stack <name> | --all) [--stacks-dir <dir>] [--out <dir>]`:
 * draws the address plan as self-contained HTML pages (inline SVG and CSS, no
 * script, nothing from the network): `index.html` per routing domain and one
 * `<stack>.html` per selected stack. Offline, from the stack files alone.
 * Exit code 0 even when a plan is refused (the pages show why); 2 on bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { type Command, exitWith, parseOptions, selectStacks } from "../lib/cli";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { checkRoutingDomains } from "../lib/config/routingDomains";
import { loadRoutingDomains, loadStack, stacksDirectory } from "../lib/config/stackFiles";
import { stacksNamedBy } from "../lib/check/domainCheck";
import { deploymentProblems } from "../lib/deployability";
import { displayPath } from "../lib/displayPath";
import { indexPage } from "../lib/map/indexPage";
import type { MapStack } from "../lib/map/model";
import { stackOk, stackPage, stackPageFile } from "../lib/map/stackPage";
import { planAddresses } from "../lib/plan/addressPlan";

const command: Command = {
  name: "map",
  usage: "usage: npm run map -- (--stack <name> | --all) [--stacks-dir <dir>] [--out <dir>]",
};

/** Git-ignored, so pages never end up in a commit by accident. */
const defaultOutDirectory = path.join(__dirname, "..", "out", "map");

/** Every stack of the directory as the map sees it, with the routing-domain findings naming it. */
function mapStacks(stacksDir: string, stacks: readonly string[]) {
  const loaded = stacks.map((stack) => ({ stack, result: loadStack(stack, stacksDir) }));
  const configs = loaded.flatMap(({ result }): ClusterConfig[] =>
    result.ok ? [result.config] : [],
  );
  const domains = loadRoutingDomains(stacksDir);
  const domainFindings = domains.ok ? checkRoutingDomains(configs, domains.domains) : [];
  const entries: MapStack[] = loaded.map(({ stack, result }) => {
    const named = domainFindings.filter((finding) => stacksNamedBy(finding).includes(stack));
    if (!result.ok) {
      return {
        stack,
        config: undefined,
        plan: undefined,
        problems: result.problems,
        domainFindings: named,
      };
    }
    const plan = planAddresses(result.config);
    return {
      stack,
      config: result.config,
      plan,
      problems: deploymentProblems(result.config, plan),
      domainFindings: named,
    };
  });
  return { entries, domains };
}

function main(): void {
  const options = parseOptions(command, {
    stack: { type: "string", multiple: true },
    all: { type: "boolean", default: false },
    "stacks-dir": { type: "string", default: stacksDirectory },
    out: { type: "string", default: defaultOutDirectory },
    help: { type: "boolean", default: false },
  });
  if (options.help) {
    console.log(command.usage);
    return;
  }
  const { stacksDir, stacks, available } = selectStacks(command, options);
  const out = path.resolve(options.out);
  try {
    fs.mkdirSync(out, { recursive: true });
  } catch (error) {
    exitWith(
      command,
      `cannot create --out ${options.out}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  // Every stack of the directory is drawn in its domain, so neighbours appear even with --stack.
  const { entries, domains } = mapStacks(stacksDir, available);
  const selected = entries.filter((entry) => stacks.includes(entry.stack));
  const linked = new Set(selected.map((entry) => entry.stack));
  for (const entry of selected) {
    fs.writeFileSync(path.join(out, stackPageFile(entry.stack)), stackPage(entry, entries));
  }
  fs.writeFileSync(
    path.join(out, "index.html"),
    indexPage({
      stacks: options.all ? entries : entries.filter((entry) => relevant(entry, selected)),
      domains: domains.ok ? domains.domains : {},
      domainFileProblems: domains.ok ? [] : domains.problems,
      linked,
    }),
  );
  for (const entry of selected) {
    console.log(
      `${displayPath(path.join(out, stackPageFile(entry.stack)))}  ${stackOk(entry) ? "ok" : "REFUSED"}`,
    );
  }
  console.log(`${displayPath(path.join(out, "index.html"))}  ${selected.length} stack page(s)`);
}

/** With --stack, the index shows the selected stacks and the members of their routing domains. */
function relevant(entry: MapStack, selected: readonly MapStack[]): boolean {
  return selected.some(
    (chosen) =>
      chosen.stack === entry.stack ||
      (chosen.config?.routingDomain !== undefined &&
        chosen.config.routingDomain === entry.config?.routingDomain),
  );
}

main();
