/**
 * The policy pack config for one stack, derived from its stack file, so that
 * `npm run check` and CI's real `pulumi preview --policy-pack policy
 * --policy-pack-config <file>` judge the stack by the same ranges. Pure: no
 * Pulumi imports, no files.
 */
import { z } from "zod";
import type { EnforcementLevel, PolicyConfigEntry } from "../analyzer/messages";
import type { ClusterConfig } from "../config/clusterConfig";

/** A `--policy-pack-config` document: policy name (or `all`) → level or properties. */
export type PolicyPackConfig = Readonly<Record<string, PolicyConfigEntry>>;

/** The policy whose config carries the ranges (policy/policies.ts). */
export const overlapPolicy = "no-cidr-overlap";

/**
 * The pack config a stack is checked with: its reserved ranges and service range
 * on `no-cidr-overlap`. `defaultMaxPods` keeps the pack default: the program tags
 * every Auto Scaling group with its maxPods, so the pack never falls back to it.
 */
export function packConfigFor(config: ClusterConfig): PolicyPackConfig {
  return {
    [overlapPolicy]: {
      reservedRanges: config.reservedRanges.map((range) => ({
        name: range.name,
        cidr: range.cidr,
      })),
      serviceCidr: config.serviceCidr,
    },
  };
}

/**
 * Lays an extra config (e.g. the organisation's `--policy-config` file) over a
 * stack's: a level replaces the level, properties replace properties, except
 * `reservedRanges`, which add to the stack's own (a stack cannot drop the
 * organisation's reservations, nor the organisation the stack's).
 */
export function mergePackConfig(base: PolicyPackConfig, extra: PolicyPackConfig): PolicyPackConfig {
  const asObject = (entry: PolicyConfigEntry) =>
    typeof entry === "string" ? { enforcementLevel: entry } : entry;
  const merged: Record<string, PolicyConfigEntry> = { ...base };
  for (const [policy, entry] of Object.entries(extra)) {
    const current = merged[policy];
    if (current === undefined) {
      merged[policy] = entry;
      continue;
    }
    const [before, after] = [asObject(current), asObject(entry)];
    const ranges = [before.reservedRanges, after.reservedRanges].filter(Array.isArray);
    merged[policy] = {
      ...before,
      ...after,
      ...(ranges.length > 0 ? { reservedRanges: ranges.flat() } : {}),
    };
  }
  return merged;
}

const enforcementLevels = [
  "advisory",
  "mandatory",
  "remediate",
  "disabled",
] as const satisfies readonly EnforcementLevel[];

const policyConfigFileSchema = z.record(
  z.string().min(1),
  z.union([
    z.enum(enforcementLevels),
    z.looseObject({ enforcementLevel: z.enum(enforcementLevels).optional() }),
  ]),
);

/**
 * Reads a `--policy-pack-config` JSON document.
 * @param text the file's contents
 * @param where the file name, for messages
 * @returns the config, or one line per problem naming the file and the key
 */
export function parsePackConfig(
  text: string,
  where: string,
): { ok: true; config: PolicyPackConfig } | { ok: false; problems: string[] } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return { ok: false, problems: [`${where} is not valid JSON: ${reason}`] };
  }
  const result = policyConfigFileSchema.safeParse(document);
  if (result.success) return { ok: true, config: result.data as PolicyPackConfig };
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const key = issue.path.map(String).join(".");
      const message =
        issue.code === "invalid_union"
          ? `must be an enforcement level (${enforcementLevels.join(", ")}) or an object of the policy's settings`
          : issue.message;
      return `${where}: ${key || "(top level)"} ${message}`;
    }),
  };
}
