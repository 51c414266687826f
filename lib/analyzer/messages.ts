/**
 * The Analyzer protocol's messages as typed values: resources in the engine's wire
 * format (unknowns as the unknown sentinel, secrets as signature objects), the
 * requests built from them, the responses read back, and the per-policy config
 * the CLI sends to Configure. Used by lib/analyzer/client.ts; no process or network.
 */
import * as analyzerProto from "@pulumi/pulumi/proto/analyzer_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import type { RecordedResource } from "../harness/mockEngine";

/** The wire format's marker for a value not known until the update (a string sentinel). */
export const unknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const signatureKey = "4dabf18193072939515e22adb298388d";
const secretSignature = "1b47061264138c4ac30d75fd1eb44270";

/** A value as the engine sends a secret when it keeps secrets. */
export function secretValue(value: unknown): Record<string, unknown> {
  return { [signatureKey]: secretSignature, value };
}

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";

export const levelToProto: Record<EnforcementLevel, analyzerProto.EnforcementLevel> = {
  advisory: analyzerProto.EnforcementLevel.ADVISORY,
  mandatory: analyzerProto.EnforcementLevel.MANDATORY,
  remediate: analyzerProto.EnforcementLevel.REMEDIATE,
  disabled: analyzerProto.EnforcementLevel.DISABLED,
};

export function levelFromProto(level: analyzerProto.EnforcementLevel): EnforcementLevel {
  const found = (Object.keys(levelToProto) as EnforcementLevel[]).find(
    (key) => levelToProto[key] === level,
  );
  return found ?? "advisory";
}

/** Resource options as the engine sends them for policy (all optional here). */
export interface AnalyzerResourceOptions {
  readonly protect?: boolean;
  readonly ignoreChanges?: readonly string[];
  readonly deleteBeforeReplace?: boolean;
  readonly additionalSecretOutputs?: readonly string[];
  readonly aliases?: readonly string[];
  readonly customTimeouts?: { create?: number; update?: number; delete?: number };
}

/** One resource for Analyze / AnalyzeStack. */
export interface AnalyzerResourceInput {
  readonly type: string;
  readonly urn: string;
  readonly name: string;
  /** Wire values: unknowns as `unknownSentinel`, secrets as `secretValue(...)`. */
  readonly properties: Record<string, unknown>;
  /** Parent URN; default none. */
  readonly parent?: string;
  /** URNs the resource depends on; default none. */
  readonly dependencies?: readonly string[];
  /** Per input property, the URNs its value came from; default none. */
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  readonly options?: AnalyzerResourceOptions;
}

/** A resource recorded by lib/harness/mockEngine, as the engine would hand it to a policy pack. */
export function fromRecorded(resource: RecordedResource): AnalyzerResourceInput {
  return {
    type: resource.type,
    urn: resource.urn,
    name: resource.name,
    properties: resource.wireInputs,
    parent: resource.parent,
    dependencies: resource.dependencies,
    propertyDependencies: resource.propertyDependencies,
  };
}

/** Struct.fromJavaScript rejects `undefined`; the engine omits such properties too. */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => withoutUndefined(item) ?? null);
  if (value === null || typeof value !== "object") return value;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== undefined) result[key] = withoutUndefined(item);
  }
  return result;
}

export function toStruct(properties: Record<string, unknown>): Struct {
  return Struct.fromJavaScript(
    withoutUndefined(properties) as Parameters<typeof Struct.fromJavaScript>[0],
  );
}

function resourceOptions(input: AnalyzerResourceInput): analyzerProto.AnalyzerResourceOptions {
  const options = input.options ?? {};
  const message = new analyzerProto.AnalyzerResourceOptions()
    .setProtect(options.protect ?? false)
    .setIgnorechangesList([...(options.ignoreChanges ?? [])])
    .setAdditionalsecretoutputsList([...(options.additionalSecretOutputs ?? [])])
    .setAliasesList([...(options.aliases ?? [])])
    .setParent(input.parent ?? "")
    .setCustomtimeouts(
      new analyzerProto.AnalyzerResourceOptions.CustomTimeouts()
        .setCreate(options.customTimeouts?.create ?? 0)
        .setUpdate(options.customTimeouts?.update ?? 0)
        .setDelete(options.customTimeouts?.delete ?? 0),
    );
  if (options.deleteBeforeReplace !== undefined) {
    message.setDeletebeforereplace(options.deleteBeforeReplace).setDeletebeforereplacedefined(true);
  }
  return message;
}

/** An AnalyzeStack resource, with parent and (non-empty) property dependencies as the CLI sends them. */
export function analyzerResource(input: AnalyzerResourceInput): analyzerProto.AnalyzerResource {
  const message = new analyzerProto.AnalyzerResource()
    .setType(input.type)
    .setUrn(input.urn)
    .setName(input.name)
    .setProperties(toStruct(input.properties))
    .setOptions(resourceOptions(input))
    .setParent(input.parent ?? "")
    .setDependenciesList([...(input.dependencies ?? [])]);
  const dependencies = message.getPropertydependenciesMap();
  for (const [key, urns] of Object.entries(input.propertyDependencies ?? {})) {
    if (urns.length === 0) continue;
    dependencies.set(key, new analyzerProto.AnalyzerPropertyDependencies().setUrnsList([...urns]));
  }
  return message;
}

export function analyzeRequest(input: AnalyzerResourceInput): analyzerProto.AnalyzeRequest {
  return new analyzerProto.AnalyzeRequest()
    .setType(input.type)
    .setUrn(input.urn)
    .setName(input.name)
    .setProperties(toStruct(input.properties))
    .setOptions(resourceOptions(input));
}

export function analyzeStackRequest(
  inputs: readonly AnalyzerResourceInput[],
): analyzerProto.AnalyzeStackRequest {
  return new analyzerProto.AnalyzeStackRequest().setResourcesList(inputs.map(analyzerResource));
}

export interface Diagnostic {
  readonly policyName: string;
  readonly policyPackName: string;
  readonly policyPackVersion: string;
  readonly description: string;
  readonly message: string;
  readonly enforcementLevel: EnforcementLevel;
  /** Empty for a violation of the stack as a whole. */
  readonly urn: string;
}

export interface AnalyzeResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly notApplicable: readonly { readonly policyName: string; readonly reason: string }[];
}

export function analyzeResult(response: analyzerProto.AnalyzeResponse): AnalyzeResult {
  return {
    diagnostics: response.getDiagnosticsList().map((d) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      enforcementLevel: levelFromProto(d.getEnforcementlevel()),
      urn: d.getUrn(),
    })),
    notApplicable: response.getNotApplicableList().map((n) => ({
      policyName: n.getPolicyName(),
      reason: n.getReason(),
    })),
  };
}

export interface PolicyInfo {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  /** JSON-schema properties of the policy's config (the CLI adds enforcementLevel itself). */
  readonly configSchema: Readonly<Record<string, Record<string, unknown>>>;
  readonly required: readonly string[];
}

export interface AnalyzerInfo {
  readonly name: string;
  readonly version: string;
  readonly supportsConfig: boolean;
  readonly policies: readonly PolicyInfo[];
}

/** One policy's config as in a `--policy-pack-config` file: a level, properties, or both. */
export type PolicyConfigEntry =
  | EnforcementLevel
  | ({ readonly enforcementLevel?: EnforcementLevel } & Readonly<Record<string, unknown>>);

export interface ReconciledPolicyConfig {
  readonly enforcementLevel: EnforcementLevel;
  readonly properties: Record<string, unknown>;
}

/**
 * What the CLI sends to Configure: for every policy its default level and schema
 * defaults, then the user's entries on top (`all` sets every level). Schema
 * validation is left to the CLI.
 */
export function reconcilePolicyConfig(
  info: AnalyzerInfo,
  config: Readonly<Record<string, PolicyConfigEntry>> = {},
): Record<string, ReconciledPolicyConfig> {
  const result: Record<string, ReconciledPolicyConfig> = {};
  for (const policy of info.policies) {
    const properties: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(policy.configSchema)) {
      if ("default" in schema) properties[key] = schema.default;
    }
    result[policy.name] = { enforcementLevel: policy.enforcementLevel, properties };
  }
  const all = config.all;
  if (typeof all === "string") {
    for (const name of Object.keys(result))
      result[name] = { ...result[name], enforcementLevel: all };
  }
  for (const [name, entry] of Object.entries(config)) {
    if (name === "all") continue;
    const current = result[name] ?? { enforcementLevel: "advisory", properties: {} };
    if (typeof entry === "string") {
      result[name] = { ...current, enforcementLevel: entry };
      continue;
    }
    const { enforcementLevel, ...properties } = entry;
    result[name] = {
      enforcementLevel: enforcementLevel ?? current.enforcementLevel,
      properties: { ...current.properties, ...properties },
    };
  }
  return result;
}
