/**
 * Runs a Node.js policy pack the way the Pulumi CLI does and talks to it over the
 * Analyzer gRPC protocol, so tests, benchmarks and `npm run check` exercise the
 * pack exactly as `pulumi preview --policy-pack <dir>` would.
 *
 * How the CLI does it (pkg/resource/plugin/analyzer_plugin.go): it runs the
 * `pulumi-analyzer-policy` shim, i.e. `node <@pulumi/pulumi/cmd/run-policy-pack>
 * <engine-address> .` with the pack directory as working directory and the stack
 * in PULUMI_CONFIG / PULUMI_NODEJS_* variables; reads the port from the first line
 * of stdout; then calls Handshake (Unimplemented in @pulumi/policy, tolerated),
 * ConfigureStack, GetAnalyzerInfo, Configure (every policy's config: schema
 * defaults, then the user's file), Analyze per resource and AnalyzeStack once at
 * the end. Properties travel as protobuf Structs with unknowns kept as sentinels
 * and secrets kept as signature objects (MarshalOptions{KeepUnknowns, KeepSecrets}).
 *
 * The engine address is only a placeholder here: run-policy-pack drops it, and the
 * SDK would read an engine address from PULUMI_NODEJS_ENGINE, which the CLI does not
 * set for analyzers. The pack's own logging therefore goes to stderr, kept in `stderr`.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerRpc from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerProto from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import {
  type AnalyzeResult,
  type AnalyzerInfo,
  type AnalyzerResourceInput,
  type PolicyConfigEntry,
  type ReconciledPolicyConfig,
  analyzeRequest,
  analyzeResult,
  analyzeStackRequest,
  levelFromProto,
  levelToProto,
  reconcilePolicyConfig,
  toStruct,
} from "./messages";

/** The message names callers of the client need, listed so the folder's surface is explicit. */
export {
  type AnalyzeResult,
  type AnalyzerInfo,
  type AnalyzerResourceInput,
  type Diagnostic,
  type EnforcementLevel,
  type PolicyConfigEntry,
  fromRecorded,
  reconcilePolicyConfig,
  secretValue,
  unknownSentinel,
} from "./messages";

const packStartTimeoutMs = 120_000;

/** The stack the pack runs for (ConfigureStack and the PULUMI_* variables). */
export interface StackContext {
  readonly project: string;
  readonly stack: string;
  /** Default `organization`. */
  readonly organization?: string;
  /** true for `pulumi preview`; default true. */
  readonly dryRun?: boolean;
  /** Stack config as `namespace:key` → string value; default none. */
  readonly config?: Readonly<Record<string, string>>;
}

export interface LaunchOptions {
  /** Directory holding the pack's PulumiPolicy.yaml and package.json. */
  readonly packDir: string;
  /** Passed as the first argument, as the CLI passes its engine address; default a placeholder. */
  readonly engineAddress?: string;
  /** Extra environment for the pack process (on top of this process's, without test-runner hooks). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Milliseconds to wait for the port; default 120000. A pack is ready in under a
   * second on an idle machine, but a loaded CI runner can take tens of seconds.
   */
  readonly startTimeoutMs?: number;
}

export interface PackOptions extends LaunchOptions {
  readonly stack: StackContext;
  /** The user's policy config (the `--policy-pack-config` file); default none. */
  readonly config?: Readonly<Record<string, PolicyConfigEntry>>;
}

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;

/** Resolves a unary call; `tolerateUnimplemented` turns UNIMPLEMENTED into `undefined`. */
function call<T>(invoke: (callback: Callback<T>) => void, tolerateUnimplemented = false) {
  return new Promise<T | undefined>((resolve, reject) => {
    invoke((error, response) => {
      if (error && tolerateUnimplemented && error.code === grpc.status.UNIMPLEMENTED)
        resolve(undefined);
      else if (error) reject(error);
      else resolve(response);
    });
  });
}

/** A running pack process: its port, how long it took to print it, and an Analyzer client. */
export class PolicyPackProcess {
  private readonly client: analyzerRpc.AnalyzerClient;
  private stderrText = "";

  constructor(
    readonly child: ChildProcess,
    readonly port: number,
    /** Milliseconds from spawn until the port was printed. */
    readonly startupMs: number,
    stderrSoFar: string,
  ) {
    this.stderrText = stderrSoFar;
    child.stderr?.on("data", (chunk: Buffer) => (this.stderrText += chunk.toString()));
    this.client = new analyzerRpc.AnalyzerClient(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
      { "grpc.max_receive_message_length": 400 * 1024 * 1024 },
    );
  }

  /** What the pack wrote to stderr (its console and log output). */
  get stderr(): string {
    return this.stderrText;
  }

  async handshake(packDir: string, engineAddress: string): Promise<void> {
    const request = new analyzerProto.AnalyzerHandshakeRequest()
      .setEngineAddress(engineAddress)
      .setRootDirectory(packDir)
      .setProgramDirectory(packDir);
    await call((cb) => this.client.handshake(request, cb), true);
  }

  async configureStack(stack: StackContext): Promise<void> {
    const request = new analyzerProto.AnalyzerStackConfigureRequest()
      .setProject(stack.project)
      .setStack(stack.stack)
      .setOrganization(stack.organization ?? "organization")
      .setDryRun(stack.dryRun ?? true);
    for (const [key, value] of Object.entries(stack.config ?? {})) {
      request.getConfigMap().set(key, value);
    }
    await call((cb) => this.client.configureStack(request, cb), true);
  }

  async getAnalyzerInfo(): Promise<AnalyzerInfo> {
    const info = await call<analyzerProto.AnalyzerInfo>((cb) =>
      this.client.getAnalyzerInfo(new Empty(), cb),
    );
    if (!info) throw new Error("GetAnalyzerInfo returned nothing");
    return {
      name: info.getName(),
      version: info.getVersion(),
      supportsConfig: info.getSupportsconfig(),
      policies: info.getPoliciesList().map((policy) => {
        const schema = policy.getConfigschema();
        return {
          name: policy.getName(),
          description: policy.getDescription(),
          enforcementLevel: levelFromProto(policy.getEnforcementlevel()),
          configSchema: (schema?.getProperties()?.toJavaScript() ?? {}) as Record<
            string,
            Record<string, unknown>
          >,
          required: schema?.getRequiredList() ?? [],
        };
      }),
    };
  }

  /** Sends the full per-policy config (as from `reconcilePolicyConfig`); replaces any earlier one. */
  async configure(config: Readonly<Record<string, ReconciledPolicyConfig>>): Promise<void> {
    const request = new analyzerProto.ConfigureAnalyzerRequest();
    for (const [name, entry] of Object.entries(config)) {
      request
        .getPolicyconfigMap()
        .set(
          name,
          new analyzerProto.PolicyConfig()
            .setEnforcementlevel(levelToProto[entry.enforcementLevel])
            .setProperties(toStruct(entry.properties)),
        );
    }
    await call((cb) => this.client.configure(request, cb));
  }

  async analyze(resource: AnalyzerResourceInput): Promise<AnalyzeResult> {
    const response = await call<analyzerProto.AnalyzeResponse>((cb) =>
      this.client.analyze(analyzeRequest(resource), cb),
    );
    return analyzeResult(response ?? new analyzerProto.AnalyzeResponse());
  }

  async analyzeStack(resources: readonly AnalyzerResourceInput[]): Promise<AnalyzeResult> {
    const response = await call<analyzerProto.AnalyzeResponse>((cb) =>
      this.client.analyzeStack(analyzeStackRequest(resources), cb),
    );
    return analyzeResult(response ?? new analyzerProto.AnalyzeResponse());
  }

  /** Closes the connection and stops the process; resolves once it has exited. */
  async close(): Promise<void> {
    this.client.close();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill();
    await exited;
  }
}

const placeholderEngineAddress = "127.0.0.1:0";

function stackEnv(stack: StackContext): Record<string, string> {
  const dryRun = String(stack.dryRun ?? true);
  const organization = stack.organization ?? "organization";
  return {
    PULUMI_CONFIG: JSON.stringify(stack.config ?? {}),
    PULUMI_NODEJS_ORGANIZATION: organization,
    PULUMI_NODEJS_PROJECT: stack.project,
    PULUMI_NODEJS_STACK: stack.stack,
    PULUMI_NODEJS_DRY_RUN: dryRun,
    PULUMI_ORGANIZATION: organization,
    PULUMI_PROJECT: stack.project,
    PULUMI_STACK: stack.stack,
    PULUMI_DRY_RUN: dryRun,
  };
}

/**
 * Starts the pack as the CLI does and resolves once it has printed its port
 * (nothing else is called). Rejects with the pack's stderr if it exits first.
 */
export function launchPolicyPack(options: LaunchOptions): Promise<PolicyPackProcess> {
  const packDir = path.resolve(options.packDir);
  const script = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  // The test runner's loader and IPC context must not leak into the pack.
  delete env.NODE_OPTIONS;
  delete env.NODE_TEST_CONTEXT;
  const started = process.hrtime.bigint();
  const child = spawn(
    process.execPath,
    [script, options.engineAddress ?? placeholderEngineAddress, "."],
    { cwd: packDir, env, stdio: ["ignore", "pipe", "pipe"] },
  );
  return new Promise((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    const fail = (reason: string) => {
      clearTimeout(timer);
      child.kill();
      reject(new Error(`policy pack in ${packDir} ${reason}\n${stderr}`));
    };
    const timer = setTimeout(
      () => fail(`printed no port within ${options.startTimeoutMs ?? packStartTimeoutMs} ms`),
      options.startTimeoutMs ?? packStartTimeoutMs,
    );
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("exit", (code) => fail(`exited with code ${code} before printing its port`));
    child.once("error", (error) => fail(`could not start: ${error.message}`));
    child.stdout?.on("data", function onData(chunk: Buffer) {
      stdout += chunk.toString();
      const newline = stdout.indexOf("\n");
      if (newline < 0) return;
      const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
      const port = Number(stdout.slice(0, newline).trim());
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.removeAllListeners("exit");
      child.removeAllListeners("error");
      // Keep draining stdout so a chatty pack never blocks on a full pipe.
      child.stdout?.resume();
      if (!Number.isInteger(port) || port <= 0) {
        child.kill();
        reject(new Error(`policy pack printed "${stdout.slice(0, newline)}" instead of a port`));
        return;
      }
      resolve(new PolicyPackProcess(child, port, elapsed, stderr));
    });
  });
}

/**
 * Starts the pack and runs the CLI's opening sequence: Handshake, ConfigureStack,
 * GetAnalyzerInfo, Configure. Ready for `analyze` / `analyzeStack`.
 */
export async function startPolicyPack(
  options: PackOptions,
): Promise<{ pack: PolicyPackProcess; info: AnalyzerInfo }> {
  const engineAddress = options.engineAddress ?? placeholderEngineAddress;
  const pack = await launchPolicyPack({
    ...options,
    env: { ...stackEnv(options.stack), ...options.env },
  });
  try {
    await pack.handshake(path.resolve(options.packDir), engineAddress);
    await pack.configureStack(options.stack);
    const info = await pack.getAnalyzerInfo();
    await pack.configure(reconcilePolicyConfig(info, options.config));
    return { pack, info };
  } catch (error) {
    await pack.close();
    throw error;
  }
}
