/**
 * Feeding a program's resources to the policy pack as the engine does in
 * `pulumi preview --policy-pack`: Analyze per resource, then AnalyzeStack,
 * violations sorted as the CLI sorts them; with a pack started for the stack
 * (as the CLI starts one per preview), or with one of a few long-lived packs
 * reconfigured per stack (lib/check/packPool.ts).
 */
import * as path from "node:path";
import {
  type Diagnostic,
  type EnforcementLevel,
  type PolicyPackProcess,
  fromRecorded,
  startPolicyPack,
} from "../analyzer/client";
import { projectName } from "../config/clusterConfig";
import type { RecordedResource } from "../harness/mockEngine";
import type { PolicyPackConfig } from "./packConfig";

export const defaultPackDir = path.join(__dirname, "..", "..", "policy");

/** One policy violation as `pulumi preview` reports it. */
export interface Violation {
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly policyName: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The resource's URN; the stack's own URN for a violation of the stack as a whole. */
  readonly urn: string;
  readonly resourceType: string;
  readonly resourceName: string;
  /** The policy's description, then the violation text. */
  readonly message: string;
}

/** A pack's name, version and what it found in one stack. */
export interface PackAnalysis {
  readonly name: string;
  readonly version: string;
  readonly violations: Violation[];
}

/** `urn:pulumi:<stack>::<project>::<parent$type>::<name>` → type and name, as the CLI shows them. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  if (parts.length < 4) return { type: "", name: urn };
  return { type: parts[2].split("$").pop() ?? parts[2], name: parts.slice(3).join("::") };
}

/** The root resource a stack-wide violation is attached to. */
export function stackUrn(stack: string): string {
  return `urn:pulumi:${stack}::${projectName}::pulumi:pulumi:Stack::${projectName}-${stack}`;
}

/** Byte order, as Go's strings.Compare in the CLI's display. */
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const violationOrder = (a: Violation, b: Violation) =>
  compare(a.enforcementLevel, b.enforcementLevel) ||
  compare(a.policyName, b.policyName) ||
  compare(a.urn, b.urn);

function toViolation(stack: string, diagnostic: Diagnostic): Violation {
  const urn = diagnostic.urn || stackUrn(stack);
  const { type, name } = urnParts(urn);
  return {
    policyPackName: diagnostic.policyPackName,
    policyPackVersion: diagnostic.policyPackVersion,
    policyName: diagnostic.policyName,
    enforcementLevel: diagnostic.enforcementLevel,
    urn,
    resourceType: type,
    resourceName: name,
    message: diagnostic.message,
  };
}

/**
 * Sends resources to a started pack as the engine does: Analyze for each
 * resource as it is registered, then AnalyzeStack with all of them.
 * @param stack names the stack a stack-wide violation is attached to
 * @returns every violation, sorted as `pulumi preview` sorts them
 */
export async function analyzeResources(
  pack: PolicyPackProcess,
  stack: string,
  resources: readonly RecordedResource[],
): Promise<Violation[]> {
  const inputs = resources.map(fromRecorded);
  const perResource = await Promise.all(inputs.map((input) => pack.analyze(input)));
  const whole = await pack.analyzeStack(inputs);
  return [...perResource.flatMap((result) => result.diagnostics), ...whole.diagnostics]
    .map((diagnostic) => toViolation(stack, diagnostic))
    .sort(violationOrder);
}

/**
 * Starts the pack for one stack as the CLI does (ConfigureStack with the stack's
 * config, Configure with its pack config), analyzes the resources, stops it.
 * @returns the pack's name and version, and every violation
 */
export async function analyzeWithPack(
  stack: string,
  resources: readonly RecordedResource[],
  packConfig: PolicyPackConfig,
  options: { packDir?: string; stackConfig?: Record<string, string> } = {},
): Promise<PackAnalysis> {
  const { pack, info } = await startPolicyPack({
    packDir: options.packDir ?? defaultPackDir,
    stack: { project: projectName, stack, dryRun: true, config: options.stackConfig },
    config: packConfig,
  });
  try {
    const violations = await analyzeResources(pack, stack, resources);
    return { name: info.name, version: info.version, violations };
  } finally {
    await pack.close();
  }
}
