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
import { Progress, type ProgressStream } from "../lib/check/progress";
import { parseShard } from "../lib/check/shard";
import { type CheckPools, defaultPackDir, checkStacks } from "../lib/check/stackCheck";
import { stacksDirectory } from "../lib/config/stackFiles";

const command: Command = {
  name: "check",
  usage:
    "usage: npm run check -- (--stack <name> | --all) [--shard K/N] [--json] [--stacks-dir <dir>] [--policy-config <file>]",
};

/** Where the command writes; tests run it in-process with their own. */
export interface CheckIo {
  readonly stdout: (text: string) => void;
  readonly progress: ProgressStream;
}

const processIo: CheckIo = {
  stdout: (text) => console.log(text),
  progress: process.stderr,
};

/**
 * The command, given its arguments. Usage errors exit the process (code 2).
 * @param pools program workers and packs to use (tests share theirs); default the run's own
 * @returns the exit code: 0 when every stack passed, else 1
 */
export async function runCheck(
  args: string[],
  io: CheckIo = processIo,
  pools?: CheckPools,
): Promise<0 | 1> {
  const options = parseOptions(
    command,
    {
      stack: { type: "string", multiple: true },
      all: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      "stacks-dir": { type: "string", default: stacksDirectory },
      "policy-config": { type: "string" },
      shard: { type: "string" },
      help: { type: "boolean", default: false },
    },
    args,
  );
  if (options.help) {
    io.stdout(command.usage);
    return 0;
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

  const progress = new Progress(io.progress);
  const report = await checkStacks(stacks, available, {
    stacksDir,
    extraPackConfig,
    pools,
    shard: shard?.shard,
    onProgress: (done, total) => progress.update(done, total),
  }).finally(() => progress.finish());
  io.stdout(
    options.json
      ? JSON.stringify(report, null, 2)
      : formatReport(report, defaultPackDir, shard?.shard),
  );
  return report.ok ? 0 : 1;
}

if (require.main === module) {
  runCheck(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: unknown) => {
      console.error(
        `check: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
      );
      process.exitCode = 2;
    },
  );
}
