/**
 * A throwaway policy pack to measure ours against: laid out like ours (its
 * tsconfig, PulumiPolicy.yaml, bin/index.js as `main`) and resolving modules
 * from the repository's node_modules, so it starts the way ours does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const repoRoot = path.resolve(__dirname, "..");

/**
 * @param name the pack's package name (also its temporary directory's prefix)
 * @param source the JavaScript of its bin/index.js
 * @param packDir our pack, whose tsconfig.json it copies
 * @returns the directory; the caller removes it
 */
export function createScratchPack(name: string, source: string, packDir: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
  fs.mkdirSync(path.join(dir, "bin"));
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name, version: "0.0.1", main: "bin/index.js" }),
  );
  fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"), "runtime: nodejs\n");
  fs.writeFileSync(path.join(dir, "bin", "index.js"), source);
  const tsconfig = path.join(packDir, "tsconfig.json");
  if (fs.existsSync(tsconfig)) fs.copyFileSync(tsconfig, path.join(dir, "tsconfig.json"));
  fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}
