/**
 * How a component refuses its arguments: one `InputPropertiesError` listing every
 * problem with the stack-file key as its property path (as pulumi-eks's node
 * groups do), so tooling can point at the key, and a message with one line per
 * key for people.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Problem } from "../policy/rules/findings";

function detailsOf(problem: Problem): pulumi.InputPropertyErrorDetails {
  return {
    propertyPath: problem.subjects[0] ?? "",
    reason: problem.fix ? `${problem.message}. ${problem.fix}` : problem.message,
  };
}

/**
 * The Node language host prints a stack trace for every uncaught error except a
 * `RunError`, which it recognises by this marker (`RunError.isInstance`); carrying
 * it, a refusal reads as its lines alone, never as a trace.
 */
export class ArgumentsRefused extends pulumi.InputPropertiesError {
  readonly __pulumiRunError = true;

  constructor(component: string, problems: readonly Problem[]) {
    const errors = problems.map(detailsOf);
    const lines = problems.map(
      (problem, index) => `  ${problem.subjects.join(", ")} ${errors[index].reason}`,
    );
    super({ message: [`${component} cannot be declared:`, ...lines].join("\n"), errors });
    this.name = "ArgumentsRefused";
  }
}

/**
 * Throws if there is any problem.
 * @param component what refuses, e.g. `NodeGroup general`
 */
export function refuseArgs(component: string, problems: readonly Problem[]): void {
  if (problems.length > 0) refuse(component, problems);
}

/** Throws, listing the problems. */
export function refuse(component: string, problems: readonly Problem[]): never {
  throw new ArgumentsRefused(component, problems);
}
