/**
 * The layering of the code, checked from its imports (STYLE.md: no import circles,
 * no import from a lower layer to a higher one, pure modules import no Pulumi,
 * the pack is self-contained). New folders under lib/ join the node layer unless
 * listed; a new Pulumi-importing module under lib/ must be named here on purpose.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";

const root = path.join(__dirname, "..");

function sourceFiles(directory: string): string[] {
  const full = path.join(root, directory);
  if (!fs.existsSync(full)) return [];
  return fs.readdirSync(full, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(directory, entry.name);
    if (entry.isDirectory()) {
      return ["bin", "node_modules"].includes(entry.name) ? [] : sourceFiles(relative);
    }
    return /\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [relative] : [];
  });
}

const files = [
  "index.ts",
  ...sourceFiles("lib"),
  ...sourceFiles("components"),
  ...sourceFiles("policy"),
];
const fileSet = new Set(files);

interface Import {
  readonly target: string;
  readonly typeOnly: boolean;
}

/** Static imports and re-exports; `import type` does not load the module at run time. */
function importsOf(file: string): Import[] {
  const text = fs.readFileSync(path.join(root, file), "utf8");
  const found: Import[] = [];
  const pattern = /^(import|export)\s+(type\s+)?[^;]*?from\s+"([^"]+)"/gms;
  for (const match of text.matchAll(pattern))
    found.push({ target: match[3], typeOnly: !!match[2] });
  return found;
}

function resolve(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith(".")) return undefined;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  return [`${base}.ts`, `${base}/index.ts`].find((candidate) => fileSet.has(candidate));
}

const graph = new Map<string, { local: Import[]; packages: Import[] }>(
  files.map((file) => {
    const imports = importsOf(file);
    return [
      file,
      {
        local: imports.flatMap((entry) => {
          const target = resolve(file, entry.target);
          return target ? [{ ...entry, target }] : [];
        }),
        packages: imports.filter((entry) => !entry.target.startsWith(".")),
      },
    ];
  }),
);

/** Layers, lowest first; a file may import its own layer and lower ones only. */
function layerOf(file: string): number {
  if (file.startsWith("policy/rules/")) return 0;
  if (file.startsWith("policy/")) return 1;
  if (/^lib\/(config\/(?!runtimeConfig)|ports|naming|displayPath)/.test(file)) return 2;
  if (file.startsWith("lib/plan/")) return 3;
  if (file === "lib/config/runtimeConfig.ts") return 5;
  if (/^lib\/(analyzer|harness)\//.test(file)) return 6;
  if (/^lib\/(check\/|cli\.ts)/.test(file)) return 7;
  if (file.startsWith("lib/")) return 4; // nodes, api, Calico values, add-on values, ...
  if (file.startsWith("components/")) return 8;
  return 9; // index.ts
}

/** lib/ modules that may load Pulumi or a provider SDK at run time; every other one is pure. */
const pulumiAllowed = [/^lib\/config\/runtimeConfig\.ts$/, /^lib\/harness\//];
/** The runtime and the providers; the protobuf messages under @pulumi/pulumi/proto are neither. */
const pulumiPackage = /^@pulumi\/(pulumi(?!\/proto\/)|aws|kubernetes|tls|random)(\/|$)/;

describe("layering", () => {
  it("has no import circle", () => {
    const state = new Map<string, "open" | "done">();
    const stack: string[] = [];
    const circles: string[] = [];
    const visit = (file: string) => {
      state.set(file, "open");
      stack.push(file);
      for (const { target } of graph.get(file)?.local ?? []) {
        if (state.get(target) === "open") {
          circles.push([...stack.slice(stack.indexOf(target)), target].join(" -> "));
        } else if (!state.has(target)) visit(target);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of files) if (!state.has(file)) visit(file);
    assert.deepEqual(circles, []);
  });

  it("never imports from a lower layer to a higher one", () => {
    const upward = files.flatMap((file) =>
      (graph.get(file)?.local ?? [])
        .filter(({ target }) => layerOf(target) > layerOf(file))
        .map(({ target }) => `${file} -> ${target}`),
    );
    assert.deepEqual(upward, []);
  });

  it("keeps the policy pack self-contained and free of provider SDKs", () => {
    const escaping = files
      .filter((file) => file.startsWith("policy/"))
      .flatMap((file) =>
        importsOf(file)
          .filter(
            (entry) =>
              (entry.target.startsWith(".") &&
                !path.posix.join(path.posix.dirname(file), entry.target).startsWith("policy/")) ||
              (!entry.typeOnly && pulumiPackage.test(entry.target)),
          )
          .map((entry) => `${file} -> ${entry.target}`),
      );
    assert.deepEqual(escaping, []);
  });

  it("keeps lib/ pure but for the modules that run the program", () => {
    const impure = files
      .filter((file) => file.startsWith("lib/") && !pulumiAllowed.some((p) => p.test(file)))
      .flatMap((file) =>
        (graph.get(file)?.packages ?? [])
          .filter((entry) => !entry.typeOnly && pulumiPackage.test(entry.target))
          .map((entry) => `${file} -> ${entry.target}`),
      );
    assert.deepEqual(impure, []);
  });

  it("never loads the check, harness or analyzer code from pulumi up", () => {
    const reached = new Set<string>();
    const walk = (file: string) => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const { target, typeOnly } of graph.get(file)?.local ?? []) if (!typeOnly) walk(target);
    };
    walk("index.ts");
    assert.deepEqual(
      [...reached].filter((file) => /^lib\/(check|harness|analyzer)\/|^lib\/cli\.ts$/.test(file)),
      [],
    );
    assert.ok(reached.has("components/network.ts"), "the walk follows the program's imports");
  });

  it("lists a folder's public names explicitly (no export *)", () => {
    const starred = files.filter((file) =>
      /^export \* from/m.test(fs.readFileSync(path.join(root, file), "utf8")),
    );
    assert.deepEqual(starred, []);
  });
});
