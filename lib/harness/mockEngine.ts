/**
 * Runs Pulumi code under the SDK's own mock monitor and records the resource
 * graph exactly as the engine would see it: type, name, URN, parent, inputs
 * (with unknowns and secrets as they travel on the wire) and the dependency
 * URNs per property. Tests assert on it; `npm run check` forwards it to the
 * policy pack. In preview mode ids and computed outputs are unknown, as in
 * `pulumi preview`.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as rpc from "@pulumi/pulumi/runtime/rpc";
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as state from "@pulumi/pulumi/runtime/state";

export interface RecordedResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string;
  readonly custom: boolean;
  readonly provider: string;
  /** Inputs as the SDK deserialises them (an unknown reads `{ __pulumiUnknown: true }`). */
  readonly inputs: Record<string, unknown>;
  /** Inputs as sent on the wire: unknowns as the unknown sentinel, secrets wrapped. */
  readonly wireInputs: Record<string, unknown>;
  readonly dependencies: readonly string[];
  readonly propertyDependencies: Readonly<Record<string, readonly string[]>>;
  /** Resource options the engine acts on. */
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  /** How many transforms the resource registered (they run on it and its children). */
  readonly transforms: number;
  /** A component whose children its provider registers (a multi-language component). */
  readonly remote: boolean;
  readonly ignoreChanges: readonly string[];
  readonly replaceOnChanges: readonly string[];
}

/** Where the mock gets each resource's id and output state; default: echo the inputs. */
export type MockStateProvider = (
  args: pulumi.runtime.MockResourceArgs,
  preview: boolean,
) => { id?: string; state?: Record<string, unknown> } | undefined;

export interface MockEngineOptions {
  readonly project: string;
  readonly stack: string;
  /** true: a preview, ids and computed outputs unknown. */
  readonly preview: boolean;
  /** Stack config as `namespace:key` → value (objects are JSON-encoded for the SDK). */
  readonly config?: Record<string, unknown>;
  readonly state?: MockStateProvider;
}

/** The unknown sentinel of the wire format. */
export const unknownValue: string = rpc.unknownValue;

interface WireRequest {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProvider(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
  getDependenciesList(): string[];
  getProtect(): boolean;
  getRetainondelete(): boolean;
  getTransformsList(): unknown[];
  getRemote(): boolean;
  getIgnorechangesList(): string[];
  getReplaceonchangesList(): string[];
  getPropertydependenciesMap(): {
    forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void;
  };
}

/** The URN MockMonitor gives a resource (its own `newUrn` is private). */
function mockUrn(parent: string, type: string, name: string): string {
  const qualifiedType = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:${settings.getStack()}::${settings.getProject()}::${qualifiedType}::${name}`;
}

/** The SDK's feature flags live in its (internal) store; the engine normally sets them. */
const runtimeState = state as typeof state & {
  getStore(): {
    supportsSecrets: boolean;
    supportsResourceReferences: boolean;
    supportsTransforms: boolean;
  };
};

/** `waitForRPCs` drains the SDK's RPC queue; it is exported but marked internal. */
const runtimeSettings = settings as typeof settings & { waitForRPCs(): Promise<void> };

class RecordingMonitor extends MockMonitor {
  readonly recorded: RecordedResource[] = [];

  async registerResource(
    request: WireRequest,
    callback: (error: unknown, response: unknown) => void,
  ) {
    const wireInputs = request.getObject()?.toJavaScript() ?? {};
    const propertyDependencies: Record<string, string[]> = {};
    request.getPropertydependenciesMap().forEach((value, key) => {
      propertyDependencies[key] = value.getUrnsList();
    });
    this.recorded.push({
      urn: mockUrn(request.getParent(), request.getType(), request.getName()),
      type: request.getType(),
      name: request.getName(),
      parent: request.getParent(),
      custom: request.getCustom(),
      provider: request.getProvider(),
      inputs: rpc.deserializeProperties(request.getObject() as never) as Record<string, unknown>,
      wireInputs,
      dependencies: request.getDependenciesList(),
      propertyDependencies,
      protect: request.getProtect(),
      retainOnDelete: request.getRetainondelete(),
      transforms: request.getTransformsList().length,
      remote: request.getRemote(),
      ignoreChanges: request.getIgnorechangesList(),
      replaceOnChanges: request.getReplaceonchangesList(),
    });
    // MockMonitor's own typing is loose; the request is the real protobuf message.
    return super.registerResource(request as never, callback as never);
  }
}

function defaultState(args: pulumi.runtime.MockResourceArgs, preview: boolean) {
  if (preview) return { id: "", state: args.inputs };
  return {
    id: `${args.name}-id`,
    state: { ...args.inputs, arn: `arn:aws:mock:::${args.type}/${args.name}` },
  };
}

/**
 * Pulumi's SDK captures and formats a stack trace for every output promise it
 * makes (kept for its report of promises left pending at exit). Nothing reads
 * them under the mocks, and with tsx's source maps they were over half of a
 * program run's CPU. So from `installMockEngine` until `settle()` errors keep
 * no stack frames (the SDK still records resources' source positions, which
 * lift the limit themselves). Program errors are reported by message anyway;
 * set HARNESS_STACK_TRACES=1 to keep the frames while debugging one.
 */
function withoutStackFrames(): () => void {
  if (process.env.HARNESS_STACK_TRACES === "1") return () => undefined;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    // Another run may have been installed since; only undo our own change.
    if (Error.stackTraceLimit === 0) Error.stackTraceLimit = limit;
  };
}

/**
 * Installs the mocks; call before importing the code under test. Returns the
 * recorder, whose `settle()` waits for every registration to finish.
 */
export function installMockEngine(options: MockEngineOptions): {
  resources: RecordedResource[];
  settle: () => Promise<RecordedResource[]>;
} {
  if (options.config) {
    const encoded: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.config)) {
      encoded[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
    pulumi.runtime.setAllConfig(encoded);
  }
  const monitor = new RecordingMonitor({
    newResource: (args) => {
      const custom = options.state?.(args, options.preview);
      const fallback = defaultState(args, options.preview);
      return {
        id: custom?.id ?? fallback.id,
        state: custom?.state ?? fallback.state,
      };
    },
    call: () => ({}),
  });
  settings.setMockOptions(monitor, options.project, options.stack, options.preview);
  // The real engine announces these before the program runs; without them the SDK
  // sends secrets unwrapped, and tests could not see what the engine would keep secret.
  const store = runtimeState.getStore();
  store.supportsSecrets = true;
  store.supportsResourceReferences = true;
  // Transforms travel as callbacks the engine invokes on a component's children;
  // the mock records them on the resource that registers them.
  store.supportsTransforms = true;
  const restoreStackFrames = withoutStackFrames();
  return {
    resources: monitor.recorded,
    settle: async () => {
      try {
        await runtimeSettings.waitForRPCs();
      } finally {
        restoreStackFrames();
      }
      return monitor.recorded;
    },
  };
}
