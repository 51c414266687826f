/**
 * Waiting for the Kubernetes API to answer `/readyz`, bounded in time. The
 * loop takes its probe and clock as arguments so tests drive it without
 * waiting; `httpsReadyzProbe` is the real probe, which trusts only the
 * cluster CA. No Pulumi imports (the dynamic provider in
 * components/apiReadiness.ts runs this code).
 */
import * as https from "node:https";

export type ProbeResult =
  | { readonly ready: true }
  | { readonly ready: false; /** Why not, for the final error. */ readonly reason: string };

export type ReadyzProbe = (url: string) => Promise<ProbeResult>;

export interface Clock {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

export interface WaitForReadyzOptions {
  /** e.g. `https://api.example:6443/readyz`. */
  readonly url: string;
  readonly probe: ReadyzProbe;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Default: the system clock. */
  readonly clock?: Clock;
}

export interface ReadyzOutcome {
  readonly attempts: number;
  readonly elapsedMs: number;
}

/** `20m`, `1m30s`, `45s`. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.round(milliseconds / 1000);
  const minutes = Math.floor(seconds / 60);
  const rest = seconds % 60;
  if (minutes === 0) return `${rest}s`;
  return rest === 0 ? `${minutes}m` : `${minutes}m${rest}s`;
}

/**
 * Probes until ready or until the next attempt would start after the deadline.
 * @throws Error naming the URL, the time waited, the attempts and the last reason
 */
export async function waitForReadyz(options: WaitForReadyzOptions): Promise<ReadyzOutcome> {
  const clock = options.clock ?? systemClock;
  const started = clock.now();
  let attempts = 0;
  for (;;) {
    attempts += 1;
    let result: ProbeResult;
    try {
      result = await options.probe(options.url);
    } catch (error) {
      result = { ready: false, reason: error instanceof Error ? error.message : String(error) };
    }
    const elapsedMs = clock.now() - started;
    if (result.ready) return { attempts, elapsedMs };
    if (elapsedMs + options.intervalMs > options.timeoutMs) {
      throw new Error(
        `the Kubernetes API at ${options.url} was not ready after ${formatDuration(elapsedMs)} ` +
          `(${attempts} attempts, limit ${formatDuration(options.timeoutMs)}); last error: ${result.reason}. ` +
          "Check the masters' /var/log/cloud-init-output.log and the load balancer's target health.",
      );
    }
    await clock.sleep(options.intervalMs);
  }
}

const maxBodyBytes = 512;

/**
 * A probe over HTTPS that trusts only `caCertPem` (the API certificate must
 * name the host) and counts only `200` as ready; anything else becomes the
 * reason, with the start of the body (`/readyz` lists failing checks).
 */
export function httpsReadyzProbe(caCertPem: string, requestTimeoutMs = 5000): ReadyzProbe {
  return (url) =>
    new Promise<ProbeResult>((resolve) => {
      const request = https.get(url, { ca: caCertPem, timeout: requestTimeoutMs }, (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => {
          if (body.length < maxBodyBytes) body += chunk;
        });
        response.on("end", () => {
          if (response.statusCode === 200) resolve({ ready: true });
          else {
            const text = body.slice(0, maxBodyBytes).trim().replace(/\s+/g, " ");
            resolve({
              ready: false,
              reason: `HTTP ${response.statusCode}${text ? `: ${text}` : ""}`,
            });
          }
        });
        response.on("error", (error) => resolve({ ready: false, reason: error.message }));
      });
      request.on("timeout", () => {
        request.destroy(new Error(`no answer within ${formatDuration(requestTimeoutMs)}`));
      });
      request.on("error", (error: NodeJS.ErrnoException) => {
        resolve({
          ready: false,
          reason: error.code ? `${error.code}: ${error.message}` : error.message,
        });
      });
    });
}

/** What `kubeadm init`'s bootstrap-token phase publishes, readable anonymously. */
export const clusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info";

/**
 * Ready means what the nodes wait for too: `/readyz` answers 200 and kube-public's
 * `cluster-info` is readable, i.e. kubeadm init got through its last phases, not
 * merely far enough for an API server to start.
 */
export function clusterReadyProbe(probe: ReadyzProbe): ReadyzProbe {
  return async (url) => {
    const readyz = await probe(url);
    if (!readyz.ready) return readyz;
    const clusterInfo = await probe(new URL(clusterInfoPath, url).toString());
    return clusterInfo.ready
      ? clusterInfo
      : { ready: false, reason: `/readyz answers but ${clusterInfoPath}: ${clusterInfo.reason}` };
  };
}
