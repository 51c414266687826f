/**
 * A long-lived program worker (started by lib/harness/programPool.ts with an
 * IPC channel, after the SDKs are loaded): runs one job at a time, each isolated
 * as lib/harness/isolation.ts describes. Replies `{ id, result }` with the
 * result as JSON text (what a fresh process writes to its result file), or
 * `{ id, unsure }` when only a fresh process can say what the job does; it then
 * exits, so nothing that job left behind reaches another.
 */
import { type ProgramJob, runIsolated } from "./isolation";

export interface WorkerRequest {
  readonly id: number;
  readonly job: ProgramJob;
}

export type WorkerReply =
  | { readonly id: number; readonly result: string }
  | { readonly id: number; readonly unsure: string };

// Stack traces are never part of a result (a crash is reported by the fresh
// process the job then runs in), yet the SDK captures one for every promise
// and resource (runtime/debuggable.ts, Resource.stackTrace), and tsx's source
// maps make each one expensive: a third of a warm run's CPU.
process.setSourceMapsEnabled(false);
Error.stackTraceLimit = 0;

let trouble: string | undefined;
let busy = false;

function onTrouble(kind: string) {
  return (error: unknown) => {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    // Outside a job nobody could report it: leave, and let the pool start a fresh worker.
    if (!busy) process.exit(70);
    trouble ??= `${kind}: ${text}`;
  };
}

process.on("unhandledRejection", onTrouble("unhandled rejection"));
process.on("uncaughtException", onTrouble("uncaught exception"));

const send = (reply: WorkerReply) =>
  new Promise<void>((resolve) => process.send?.(reply, undefined, {}, () => resolve()));

process.on("message", (request: WorkerRequest) => {
  void (async () => {
    busy = true;
    trouble = undefined;
    const outcome = await runIsolated(request.job, () => trouble);
    busy = false;
    if (outcome.kind === "result") {
      await send({ id: request.id, result: JSON.stringify(outcome.result) });
    } else {
      await send({ id: request.id, unsure: outcome.reason });
      process.exit(0);
    }
  })();
});
