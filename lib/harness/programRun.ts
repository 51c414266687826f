/**
 * Runs this Pulumi program (index.ts) for one stack under the mock engine, with
 * the stack file's config, and returns the resources it registers. Used by
 * `npm run check` and the program tests. Pulumi's runtime is process-global, so
 * call it once per process (the callers start a child process per stack).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { installMockEngine, type MockStateProvider, type RecordedResource } from "./mockEngine";
import { projectName } from "../config/clusterConfig";
import { stackFilePath, stacksDirectory } from "../config/stackFiles";

export interface ProgramRunOptions {
  readonly stack: string;
  /** true: a preview (ids and computed outputs unknown). */
  readonly preview: boolean;
  readonly stacksDir?: string;
  /** Mock outputs for update mode; default: inputs echoed back. */
  readonly state?: MockStateProvider;
  /** Replaces or adds config keys (`namespace:key`), e.g. to test a broken variant. */
  readonly configOverrides?: Record<string, unknown>;
}

export type ProgramRunResult =
  | { readonly ok: true; readonly resources: readonly RecordedResource[] }
  | { readonly ok: false; readonly error: string; readonly resources: readonly RecordedResource[] };

function stackConfig(stack: string, directory: string): Record<string, unknown> {
  const document = parseYaml(fs.readFileSync(stackFilePath(stack, directory), "utf8")) as {
    config?: Record<string, unknown>;
  } | null;
  return document?.config ?? {};
}

/** Runs the program and waits for every registration to finish. */
export async function runProgramUnderMocks(options: ProgramRunOptions): Promise<ProgramRunResult> {
  const config = {
    ...stackConfig(options.stack, options.stacksDir ?? stacksDirectory),
    ...options.configOverrides,
  };
  const engine = installMockEngine({
    project: projectName,
    stack: options.stack,
    preview: options.preview,
    config,
    state: options.state,
  });
  try {
    // The program declares its resources when it is loaded; the CLI loads it with require too.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(path.join(__dirname, "..", "..", "index"));
    return { ok: true, resources: await engine.settle() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: message, resources: await engine.settle() };
  }
}
