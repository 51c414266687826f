/** The compiled policy pack the protocol tests start, as the CLI would. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

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
