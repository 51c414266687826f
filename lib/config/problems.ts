/**
 * Config problems in the one problem shape (`Problem`, policy/rules/findings.ts):
 * the subject is the key as written in the stack file (or the file itself when it
 * cannot be read). Pure; the ground of lib/, importing only the shared shape.
 */
import type { Problem } from "../../policy/rules/findings";

export type ConfigProblemCode =
  /** A key the schema does not know (usually a typo). */
  | "unknown-key"
  /** A required key is absent. */
  | "missing-key"
  /** A key's value is refused, alone or together with other keys. */
  | "invalid-value"
  /** The stack file cannot be read or parsed. */
  | "unreadable-file";

export type ConfigProblem = Problem<ConfigProblemCode>;

/**
 * @param key the stack-file key, e.g. `calico-cluster:workerGroups[1].maxPods`
 * @param message what is wrong, reading on from the key: `= 64 needs ...`
 */
export function configProblem(
  key: string,
  message: string,
  code: ConfigProblemCode = "invalid-value",
  fix = "",
): ConfigProblem {
  return { code, severity: "error", subjects: [key], message, fix };
}

/** `subjects message[. fix]`: a problem as it reads after `ERROR `. */
export function describeProblem(problem: Problem, separator = " "): string {
  const fix = problem.fix ? `. ${problem.fix}` : "";
  return `${problem.subjects.join(", ")}${separator}${problem.message}${fix}`;
}

/** One line per problem, prefixed with the stack. */
export function formatProblems(stack: string, problems: readonly Problem[]): string {
  return problems.map((problem) => `${stack}: ${describeProblem(problem)}`).join("\n");
}
