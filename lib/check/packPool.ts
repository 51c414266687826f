/**
 * A few long-lived policy pack processes for `npm run check`, each
 * reconfigured per stack, instead of one pack process per stack.
 *
 * The CLI starts a pack per preview and sends ConfigureStack (project, stack,
 * organisation, dry run, the stack's config) and Configure (every policy's
 * config) before any Analyze. @pulumi/policy keeps exactly those two as
 * replaceable state (server.ts: `stackTags`, `policyPackConfig`), so sending
 * both again before each stack gives the pack what a fresh start would. The one
 * thing a reused process cannot re-send is the environment it was started
 * with (PULUMI_CONFIG and the PULUMI_NODEJS_* stack variables); this pack
 * reads neither, and the check's equivalence test (test/checkEquivalence.test.ts)
 * runs stacks both ways to keep it so.
 *
 * A pack that fails a call is discarded and that stack is analyzed again with a
 * pack of its own, so the error reported is the one a fresh pack gives.
 */
import {
  type AnalyzerInfo,
  type PolicyPackProcess,
  reconcilePolicyConfig,
  startPolicyPack,
} from "../analyzer/client";
import { projectName } from "../config/clusterConfig";
import type { RecordedResource } from "../harness/mockEngine";
import { type PackAnalysis, analyzeResources, analyzeWithPack } from "./packAnalysis";
import type { PolicyPackConfig } from "./packConfig";

/**
 * How long a pack may take to print its port. Longer than the CLI's 30 s: a
 * pack here starts while the workers keep both cores busy.
 */
const packStartTimeoutMs = 120_000;

interface Lease {
  readonly pack: PolicyPackProcess;
  readonly info: AnalyzerInfo;
  /** true: started for the stack it is leased for, so already configured for it. */
  readonly configured: boolean;
}

export class PackPool {
  private readonly idle: Lease[] = [];
  private readonly waiting: ((lease: Lease | undefined) => void)[] = [];
  private running = 0;
  private closed = false;
  /** Stacks analyzed by a reused pack, and stacks analyzed again by a fresh one. */
  readonly stats = { reused: 0, fresh: 0 };

  constructor(
    readonly packDir: string,
    readonly size = 2,
  ) {}

  /** An idle pack, or undefined when the caller may start one. */
  private acquire(): Promise<Lease | undefined> {
    const lease = this.idle.pop();
    if (lease) return Promise.resolve(lease);
    if (this.running < this.size) {
      this.running += 1;
      return Promise.resolve(undefined);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Returns a pack to the pool, or (undefined) frees the place of one that is gone. */
  private release(lease: Lease | undefined): void {
    if (lease && this.closed) {
      void lease.pack.close();
      lease = undefined;
    }
    const reusable = lease && { ...lease, configured: false };
    const next = this.waiting.shift();
    if (next) next(reusable);
    else if (reusable) this.idle.push(reusable);
    else this.running -= 1;
  }

  /**
   * Analyzes one stack's resources with a pack configured for it.
   * @param stackConfig the stack file's config as the CLI sends it (strings)
   */
  async analyze(
    stack: string,
    resources: readonly RecordedResource[],
    packConfig: PolicyPackConfig,
    stackConfig: Record<string, string>,
  ): Promise<PackAnalysis> {
    const context = { project: projectName, stack, dryRun: true, config: stackConfig };
    let lease = await this.acquire();
    try {
      if (!lease) {
        const started = await startPolicyPack({
          packDir: this.packDir,
          stack: context,
          config: packConfig,
          startTimeoutMs: packStartTimeoutMs,
        });
        lease = { ...started, configured: true };
      }
      if (!lease.configured) {
        await lease.pack.configureStack(context);
        await lease.pack.configure(reconcilePolicyConfig(lease.info, packConfig));
      }
      const violations = await analyzeResources(lease.pack, stack, resources);
      this.stats.reused += 1;
      this.release(lease);
      return { name: lease.info.name, version: lease.info.version, violations };
    } catch {
      if (lease) await lease.pack.close();
      this.release(undefined);
      this.stats.fresh += 1;
      return analyzeWithPack(stack, resources, packConfig, { packDir: this.packDir, stackConfig });
    }
  }

  /** Stops every idle pack (busy ones stop when released). */
  async close(): Promise<void> {
    this.closed = true;
    const idle = this.idle.splice(0);
    this.running -= idle.length;
    await Promise.all(idle.map((lease) => lease.pack.close()));
  }
}
