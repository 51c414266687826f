/** The compiled policy pack the protocol tests start, as the CLI would. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before } from "node:test";
import { type PolicyPackProcess, startPolicyPack } from "../../lib/analyzer/client";
import { project, stack } from "./policyResources";

export const packDir = path.join(__dirname, "..", "..", "policy");

/** Compiles the pack unless bin/ is newer than every source (`npm test` builds it first). */
export function ensureBuilt(): void {
  const main = path.join(packDir, "bin", "index.js");
  const sources = ["index.ts", "policies.ts", "extract", "rules"].flatMap((entry) => {
    const full = path.join(packDir, entry);
    return fs.statSync(full).isDirectory()
      ? fs.readdirSync(full).map((file) => path.join(full, file))
      : [full];
  });
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  if (sources.every((file) => fs.statSync(file).mtimeMs <= built)) return;
  const tsc = require.resolve("typescript/bin/tsc");
  const result = spawnSync(process.execPath, [tsc, "-p", path.join(packDir, "tsconfig.json")], {
    encoding: "utf8",
  });
  assert.equal(result.status, 0, `building the policy pack failed:\n${result.stdout}`);
}

/**
 * Starts the compiled pack for the test file (before its tests, stopped after), as
 * the CLI starts it for a preview of the policy-resources test stack.
 * @returns the started pack, once the `before` hook has run
 */
export function startedPack(): () => PolicyPackProcess {
  let pack: PolicyPackProcess | undefined;
  before(async () => {
    ({ pack } = await startPolicyPack({ packDir, stack: { project, stack, dryRun: true } }));
  });
  after(async () => {
    await pack?.close();
  });
  return () => {
    assert.ok(pack, "the pack has not started");
    return pack;
  };
}
