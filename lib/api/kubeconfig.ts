/**
 * The admin kubeconfig the program's own Kubernetes provider uses: the API
 * through the load balancer, trusted by the cluster CA, authenticated by a
 * client certificate. Pure: no Pulumi imports.
 */
import { stringify } from "yaml";
import { apiServerPort } from "../ports";

export interface KubeconfigOptions {
  readonly clusterName: string;
  /** The API load balancer's DNS name. */
  readonly apiEndpointHost: string;
  readonly clusterCaCertPem: string;
  readonly clientCertPem: string;
  readonly clientKeyPem: string;
  /** The kubeconfig user; default `pulumi-admin`. */
  readonly userName?: string;
}

const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** `https://<host>:6443`. */
export function apiServerUrl(apiEndpointHost: string): string {
  return `https://${apiEndpointHost}:${apiServerPort}`;
}

export function renderKubeconfig(options: KubeconfigOptions): string {
  const user = options.userName ?? "pulumi-admin";
  const context = `${user}@${options.clusterName}`;
  return stringify(
    {
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: options.clusterName,
          cluster: {
            server: apiServerUrl(options.apiEndpointHost),
            "certificate-authority-data": base64(options.clusterCaCertPem),
          },
        },
      ],
      users: [
        {
          name: user,
          user: {
            "client-certificate-data": base64(options.clientCertPem),
            "client-key-data": base64(options.clientKeyPem),
          },
        },
      ],
      contexts: [{ name: context, context: { cluster: options.clusterName, user } }],
      "current-context": context,
      preferences: {},
    },
    { lineWidth: 0 },
  );
}
