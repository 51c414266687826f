/**
 * A gate in front of everything that talks to the Kubernetes API: `pulumi up`
 * waits here until `/readyz` answers 200 through the load balancer, trusting
 * only the cluster CA, for at most a configured time. Downstream resources use
 * this component's outputs (or depend on it), so none starts against a
 * cluster that is still bootstrapping.
 */
import { configProblem } from "../lib/config/problems";
import { refuseArgs } from "./refusal";
import * as pulumi from "@pulumi/pulumi";
import { discoveryTokenCaCertHash } from "../lib/api/discoveryHash";
import { apiServerUrl } from "../lib/api/kubeconfig";
import { clusterReadyProbe, httpsReadyzProbe, waitForReadyz } from "../lib/api/readyz";

/** `calico-cluster:apiReadinessTimeoutMinutes` unless set; kubeadm plus package installs take ~5-10 minutes. */
export const defaultReadinessTimeoutMinutes = 20;
export const defaultPollIntervalSeconds = 10;

/** What the dynamic provider receives (plain values; Pulumi resolves the inputs first). */
export interface ReadyzWaitInputs {
  readonly url: string;
  readonly caCertPem: string;
  readonly timeoutSeconds: number;
  readonly intervalSeconds: number;
}

/** What it stores: no key material, only what tells a changed target apart. */
export interface ReadyzWaitOutputs {
  readonly url: string;
  readonly caCertHash: string;
  readonly timeoutSeconds: number;
  readonly attempts: number;
}

/**
 * The provider runs in the Pulumi engine's process, serialised with its
 * closure; it uses only node built-ins and the pure lib/ modules.
 */
export const readyzWaitProvider: pulumi.dynamic.ResourceProvider<
  ReadyzWaitInputs,
  ReadyzWaitOutputs
> = {
  async create(inputs) {
    const outcome = await waitForReadyz({
      url: inputs.url,
      probe: clusterReadyProbe(httpsReadyzProbe(inputs.caCertPem)),
      timeoutMs: inputs.timeoutSeconds * 1000,
      intervalMs: inputs.intervalSeconds * 1000,
    });
    return {
      id: inputs.url,
      outs: {
        url: inputs.url,
        caCertHash: discoveryTokenCaCertHash(inputs.caCertPem),
        timeoutSeconds: inputs.timeoutSeconds,
        attempts: outcome.attempts,
      },
    };
  },
  async diff(_id, olds, news) {
    // A new endpoint or CA is a new cluster to wait for; a new time limit is not.
    const replaces: string[] = [];
    if (olds.url !== news.url) replaces.push("url");
    if (olds.caCertHash !== discoveryTokenCaCertHash(news.caCertPem)) replaces.push("caCertPem");
    return {
      changes: replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds,
      replaces,
      deleteBeforeReplace: true,
    };
  },
  async update(_id, olds, news) {
    return { outs: { ...olds, timeoutSeconds: news.timeoutSeconds } };
  },
};

class ReadyzWait extends pulumi.dynamic.Resource {
  declare readonly url: pulumi.Output<string>;

  constructor(
    name: string,
    props: { [K in keyof ReadyzWaitInputs]: pulumi.Input<ReadyzWaitInputs[K]> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(readyzWaitProvider, name, { ...props }, opts, "calico-cluster", "ReadyzWait");
  }
}

export interface ApiReadinessArgs {
  /** The API load balancer's DNS name (`ApiLoadBalancer.endpointHost`). Required. */
  readonly apiEndpointHost: pulumi.Input<string>;
  /** The cluster CA certificate (`ClusterPki.clusterCaCertPem`); the only CA the probe trusts. Required. */
  readonly clusterCaCertPem: pulumi.Input<string>;
  /** The admin kubeconfig (`ClusterPki.adminKubeconfig`), handed on once the API is ready. Required. */
  readonly kubeconfig: pulumi.Input<string>;
  /** Longest wait in minutes (`calico-cluster:apiReadinessTimeoutMinutes`); default 20. */
  readonly timeoutMinutes?: number;
  /** Seconds between probes; default 10. */
  readonly pollIntervalSeconds?: number;
  /** What must exist before the wait starts, typically the `ControlPlane`; default none. */
  readonly after?: readonly pulumi.Resource[];
}

export class ApiReadiness extends pulumi.ComponentResource {
  /** `https://<host>:6443`, known once the API has answered /readyz. */
  readonly endpoint: pulumi.Output<string>;
  /** The admin kubeconfig, available only after the API is ready; secret. */
  readonly kubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ApiReadinessArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:api:ApiReadiness", name, {}, opts);
    const timeoutMinutes = args.timeoutMinutes ?? defaultReadinessTimeoutMinutes;
    const intervalSeconds = args.pollIntervalSeconds ?? defaultPollIntervalSeconds;
    refuseArgs(`ApiReadiness ${name}`, [
      ...(!Number.isInteger(timeoutMinutes) || timeoutMinutes < 1
        ? [
            configProblem(
              "calico-cluster:apiReadinessTimeoutMinutes",
              `= ${timeoutMinutes} must be a whole number of minutes, at least 1`,
            ),
          ]
        : []),
      ...(intervalSeconds > 0
        ? []
        : [configProblem("pollIntervalSeconds", `= ${intervalSeconds} must be positive`)]),
    ]);
    const wait = new ReadyzWait(
      name,
      {
        url: pulumi.output(args.apiEndpointHost).apply((host) => `${apiServerUrl(host)}/readyz`),
        caCertPem: args.clusterCaCertPem,
        timeoutSeconds: timeoutMinutes * 60,
        intervalSeconds,
      },
      { parent: this, dependsOn: args.after ? [...args.after] : undefined },
    );
    this.endpoint = wait.url.apply((url) => url.replace(/\/readyz$/, ""));
    this.kubeconfig = pulumi.secret(
      pulumi.all([wait.url, args.kubeconfig]).apply(([, kubeconfig]) => kubeconfig),
    );
    this.registerOutputs({ endpoint: this.endpoint, kubeconfig: this.kubeconfig });
  }
}
