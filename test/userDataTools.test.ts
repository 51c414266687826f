/**
 * The user data as the real tools see it: `cloud-init schema` on every
 * cloud-config and `shellcheck` on every script it writes, both for the
 * rendered examples (scripts/render-user-data.ts) and for the user data the
 * components actually put in their launch templates. Skipped, saying why, only
 * where a tool is not installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, test } from "node:test";
import { declareNodes, launchTemplateType } from "./support/nodeScenario";
import { exampleStacks } from "./support/stacks";
import { decodeWireUserData, parseCloudConfig, scriptsOf } from "./support/userData";

function missingTool(tool: string): string | false {
  const probe = spawnSync(tool, ["--version"], { encoding: "utf8" });
  return probe.error
    ? `${tool} is not installed (Debian/Ubuntu: apt-get install ${tool}); skipping this check`
    : false;
}
const noCloudInit = missingTool("cloud-init");
const noShellcheck = missingTool("shellcheck");

function run(command: string, args: readonly string[]): { ok: boolean; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}

/**
 * A tool's verdict on some content, run once per distinct content: groups of
 * one stack often write the same script. The output names the first file
 * checked, which is where the content can be read.
 */
const verdicts = new Map<string, { ok: boolean; output: string }>();
function once(tool: string, content: string, check: () => { ok: boolean; output: string }) {
  const key = `${tool}\0${createHash("sha256").update(content).digest("hex")}`;
  let verdict = verdicts.get(key);
  if (verdict === undefined) verdicts.set(key, (verdict = check()));
  return verdict;
}

/** Runs both tools on a cloud-config file and the scripts it writes; returns the failures. */
function checkUserData(file: string, label: string): string[] {
  const failures: string[] = [];
  const text = fs.readFileSync(file, "utf8");
  if (!noCloudInit) {
    const schema = once("cloud-init", text, () =>
      run("cloud-init", ["schema", "--config-file", file]),
    );
    if (!schema.ok) failures.push(`${label}: cloud-init schema: ${schema.output}`);
  }
  if (!noShellcheck) {
    const scripts = scriptsOf(parseCloudConfig(text));
    if (scripts.length === 0) failures.push(`${label}: writes no script`);
    for (const script of scripts) {
      const scriptFile = `${file}.${path.basename(script.path)}.sh`;
      fs.writeFileSync(scriptFile, script.content);
      const check = once("shellcheck", script.content, () =>
        run("shellcheck", ["--shell=bash", scriptFile]),
      );
      if (!check.ok) failures.push(`${label} ${script.path}: shellcheck:\n${check.output}`);
    }
  }
  return failures;
}

const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "user-data-"));
after(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe("the checks themselves", { skip: noCloudInit && noShellcheck }, () => {
  test("a broken cloud-config and a broken script are caught (the checks can fail)", () => {
    const dir = path.join(workDir, "broken");
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, "broken.cloud-config.yaml");
    fs.writeFileSync(
      file,
      '#cloud-config\nwrite_files:\n  - path: /x\n    content: |\n      #!/bin/bash\n      echo $1\n    bogus: "1"\n',
    );
    const failures = checkUserData(file, "broken");
    if (!noCloudInit)
      assert.ok(
        failures.some((f) => f.includes("cloud-init schema")),
        "schema",
      );
    if (!noShellcheck)
      assert.ok(
        failures.some((f) => f.includes("shellcheck")),
        "shellcheck",
      );
  });
});

describe("scripts/check-user-data.sh", () => {
  const scriptPath = path.join(__dirname, "..", "scripts", "check-user-data.sh");

  test("passes shellcheck itself", { skip: noShellcheck }, () => {
    const check = run("shellcheck", [scriptPath]);
    assert.ok(check.ok, check.output);
  });

  // One stack: the script is what is under test here. Every stack's real user data
  // goes through the same tools below, from the launch templates themselves.
  test(
    "renders a stack (scripts/render-user-data.ts) and passes cloud-init schema and shellcheck on all of it",
    {
      skip: noCloudInit || noShellcheck,
    },
    () => {
      const stack = exampleStacks.includes("search-dev") ? "search-dev" : exampleStacks[0];
      const out = path.join(workDir, "script");
      const result = spawnSync("bash", [scriptPath, out, stack], { encoding: "utf8" });
      assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
      const rendered = fs.readdirSync(out);
      const configs = rendered.filter((file) => file.endsWith(".cloud-config.yaml"));
      const scripts = rendered.filter((file) => file.endsWith(".sh"));
      // A master that inits, a master that joins, and each worker group.
      assert.ok(configs.length >= 3, `only ${configs.length} rendered`);
      assert.ok(
        configs.every((config) => config.startsWith(`${stack}-`)),
        configs.join(", "),
      );
      for (const config of configs) {
        assert.ok(result.stdout.includes(`Valid cloud-config: ${path.join(out, config)}`), config);
      }
      for (const script of scripts) {
        assert.ok(result.stdout.includes(`shellcheck ok: ${path.join(out, script)}`), script);
      }
    },
  );

  test("fails when a stack cannot be rendered", { skip: noCloudInit || noShellcheck }, () => {
    const out = path.join(workDir, "none");
    const result = spawnSync("bash", [scriptPath, out, "no-such-stack"], { encoding: "utf8" });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /no-such-stack/);
  });
});

for (const stack of exampleStacks) {
  describe(`launch template user data, ${stack}`, { skip: noCloudInit && noShellcheck }, () => {
    let files: { label: string; file: string }[] = [];
    before(async () => {
      const scenario = await declareNodes(stack, false);
      const dir = path.join(workDir, `components-${stack}`);
      fs.mkdirSync(dir, { recursive: true });
      files = scenario.resources
        .filter((resource) => resource.type === launchTemplateType)
        .map((template) => {
          const file = path.join(dir, `${template.name}.cloud-config.yaml`);
          fs.writeFileSync(file, decodeWireUserData(template.wireInputs.userData));
          return { label: `${stack} ${template.name}`, file };
        });
    });

    test("every master and worker launch template's user data passes cloud-init schema and shellcheck", () => {
      assert.ok(files.length > 0);
      assert.deepEqual(
        files.flatMap(({ label, file }) => checkUserData(file, label)),
        [],
      );
    });
  });
}

if (noCloudInit) test.skip(noCloudInit);
if (noShellcheck) test.skip(noShellcheck);
