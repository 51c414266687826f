/**
 * Golden stacks: for every example stack, what `pulumi up` would declare, as
 * reviewed data (kops keeps such scenarios under tests/integration/update_cluster).
 * - `test/golden/<stack>/resources.yaml`: every resource of a preview, in
 *   registration order: URN, type, logical name, parent, resource options and the
 *   inputs as they travel to the engine (secrets and unknowns marked, not shown).
 * - `test/golden/<stack>/user-data/<launch template>.txt`: each launch template's
 *   user data after `pulumi up`, decoded as cloud-init decodes it, with the key
 *   material the mocks generate afresh each run replaced by placeholders.
 * `npm run golden:update` rewrites them; test/golden.test.ts fails on any difference.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { stringify } from "yaml";
import type { RecordedResource } from "../../lib/harness/mockEngine";
import { secretSig } from "./clusterMocks";
import { programRuns } from "./programRuns";

export const goldenDirectory = path.join(__dirname, "..", "golden");
const unknownSentinel = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate";

/** Wire values as reviewers read them: secrets and unknowns named, never shown. */
function normalise(value: unknown): unknown {
  if (value === unknownSentinel) return "<unknown>";
  if (Array.isArray(value)) return value.map(normalise);
  if (value && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[secretSig] !== undefined) return "<secret>";
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, normalise(record[key])]),
    );
  }
  return value;
}

function shortUrn(urn: string): string {
  return urn === "" ? "" : urn.split("::").slice(-2).join("::");
}

function resourceEntry(resource: RecordedResource): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (resource.protect) options.protect = true;
  if (resource.ignoreChanges.length > 0) options.ignoreChanges = [...resource.ignoreChanges];
  if (resource.replaceOnChanges.length > 0) {
    options.replaceOnChanges = [...resource.replaceOnChanges];
  }
  for (const [key, value] of Object.entries(resource as unknown as Record<string, unknown>)) {
    // Options the engine acts on that later mock engines may record (retainOnDelete, ...).
    if (["retainOnDelete", "deletedWith", "aliases"].includes(key) && value) options[key] = value;
  }
  return {
    urn: resource.urn,
    parent: shortUrn(resource.parent),
    ...(resource.custom ? {} : { component: true }),
    ...(Object.keys(options).length > 0 ? { options } : {}),
    inputs: normalise(resource.wireInputs),
  };
}

/** Cloud-init accepts gzip'd user data; reviewers read the text. */
function decodeUserData(wireValue: unknown): string {
  const raw =
    wireValue && typeof wireValue === "object" && secretSig in wireValue
      ? (wireValue as unknown as { value: unknown }).value
      : wireValue;
  if (typeof raw !== "string") return "<unknown>";
  const bytes = Buffer.from(raw, "base64");
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return text.toString("utf8");
}

/** Values the mocks make afresh on every run; the golden keeps their place, not their bytes. */
export function maskGenerated(text: string): string {
  return text
    .replace(
      /-----BEGIN ([A-Z ]+)-----[\s\S]*?-----END \1-----/g,
      (_, label: string) => `<${label.toLowerCase().replace(/ /g, "-")}>`,
    )
    .replace(/sha256:[0-9a-f]{64}/g, "sha256:<ca-hash>")
    .replace(/\b[a-z0-9]{6}\.[a-z0-9]{16}\b/g, "<bootstrap-token>")
    .replace(/\b[0-9a-f]{64}\b/g, "<hex-key>");
}

export interface GoldenStack {
  /** Relative path below test/golden → file content. */
  readonly files: ReadonlyMap<string, string>;
}

/** What the golden files of a stack must hold, recorded afresh. */
export async function recordGolden(stack: string): Promise<GoldenStack> {
  const runs = await programRuns([stack], ["preview", "update"]);
  const [preview, update] = (["preview", "update"] as const).map((mode) => {
    const result = runs.get(`${stack}/${mode}`);
    if (!result?.ok) throw new Error(`${stack} (${mode}) failed: ${result?.error ?? "no run"}`);
    return [...result.resources];
  });
  const files = new Map<string, string>();
  const header = `# Golden stack ${stack}: regenerate with \`npm run golden:update\`, review the diff.\n`;
  files.set(
    `${stack}/resources.yaml`,
    header +
      stringify(
        // Registration order follows output resolution; URN order is stable.
        [...preview].sort((x, y) => (x.urn < y.urn ? -1 : 1)).map(resourceEntry),
        { lineWidth: 0, aliasDuplicateObjects: false },
      ),
  );
  for (const resource of update.filter((r) => r.type === launchTemplateType)) {
    const userData = maskGenerated(decodeUserData(resource.wireInputs.userData));
    files.set(`${stack}/user-data/${resource.name}.txt`, userData);
  }
  return { files };
}

/** The golden files on disk for a stack. */
export function readGolden(stack: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (relative: string) => {
    const full = path.join(goldenDirectory, relative);
    if (!fs.existsSync(full)) return;
    for (const entry of fs.readdirSync(full, { withFileTypes: true })) {
      const child = path.posix.join(relative, entry.name);
      if (entry.isDirectory()) walk(child);
      else files.set(child, fs.readFileSync(path.join(goldenDirectory, child), "utf8"));
    }
  };
  walk(stack);
  return files;
}
