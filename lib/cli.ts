/**
 * What the commands behind `npm run` share: usage errors as one line (exit 2),
 * stack selection with `--stack`/`--all`/`--stacks-dir`, and reading an optional
 * `--policy-config` file. Never a stack trace for a person's mistake.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { type PolicyPackConfig, parsePackConfig } from "./check/packConfig";
import { listStacks, stackFilePath } from "./config/stackFiles";

export interface Command {
  /** e.g. `check`; prefixes every message. */
  readonly name: string;
  readonly usage: string;
}

/** Prints `<name>: <message>` and the usage, and exits with `code` (2: bad usage). */
export function exitWith(command: Command, message: string, code: 1 | 2 = 2): never {
  console.error(`${command.name}: ${message}${code === 2 ? `\n${command.usage}` : ""}`);
  process.exit(code);
}

/** Parses strict options; an unknown or malformed option is a usage error. */
export function parseOptions<T extends NonNullable<ParseArgsConfig["options"]>>(
  command: Command,
  options: T,
  args: string[] = process.argv.slice(2),
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    return exitWith(command, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Resolves `--stack` (repeatable) or `--all` against the stack files in a directory.
 * @returns the directory (absolute), the selected stacks and every stack there
 */
export function selectStacks(
  command: Command,
  options: { stack?: string[]; all?: boolean; "stacks-dir": string },
): { stacksDir: string; stacks: string[]; available: string[] } {
  const stacksDir = path.resolve(options["stacks-dir"]);
  if (!fs.existsSync(stacksDir)) {
    exitWith(command, `--stacks-dir ${options["stacks-dir"]} does not exist`);
  }
  const requested = options.stack ?? [];
  if ((options.all ?? false) === requested.length > 0) {
    exitWith(command, "give either --stack <name> or --all");
  }
  const available = listStacks(stacksDir);
  for (const stack of requested) {
    if (!available.includes(stack)) {
      exitWith(
        command,
        `no stack file ${stackFilePath(stack, stacksDir)} (stacks: ${available.join(", ") || "none"})`,
      );
    }
  }
  const stacks = options.all ? available : [...new Set(requested)];
  if (stacks.length === 0) exitWith(command, `no stack files in ${stacksDir}`);
  return { stacksDir, stacks, available };
}

/** Reads the `--policy-config` file; a missing or invalid file is a usage error. */
export function readPolicyConfigFile(
  command: Command,
  file: string | undefined,
): PolicyPackConfig | undefined {
  if (file === undefined) return undefined;
  if (!fs.existsSync(file)) exitWith(command, `--policy-config ${file} does not exist`);
  const parsed = parsePackConfig(fs.readFileSync(file, "utf8"), file);
  if (!parsed.ok) exitWith(command, parsed.problems.join("; "));
  return parsed.config;
}
