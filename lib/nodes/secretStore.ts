/**
 * Where a cluster's secrets live on AWS, as names a node's user data may carry:
 * the control-plane PKI in one Secrets Manager secret (masters only) and the
 * worker join token in one SSM SecureString parameter (masters write it, every
 * node reads it), both under the cluster's own KMS key. The names are derived
 * from the cluster name, so user data and IAM agree without a lookup.
 * Pure: no Pulumi imports.
 */

/** What a node needs to find its secrets; none of it is secret. */
export interface SecretStoreNames {
  /** The cluster's region; the node calls Secrets Manager and SSM there. */
  readonly region: string;
  /** Secrets Manager secret holding the control-plane PKI bundle. */
  readonly pkiSecretName: string;
  /** SSM SecureString parameter holding the current join token. */
  readonly joinTokenParameterName: string;
  /** ARN of the cluster's KMS key; masters name it when they write a new token. */
  readonly kmsKeyArn: string;
}

/** Secret and parameter names of a cluster; prefixed so IAM paths stay per cluster. */
export function secretStoreNamesFor(
  clusterName: string,
): Pick<SecretStoreNames, "pkiSecretName" | "joinTokenParameterName"> {
  return {
    pkiSecretName: `calico-cluster/${clusterName}/control-plane-pki`,
    joinTokenParameterName: `/calico-cluster/${clusterName}/join-token`,
  };
}

/**
 * The files of the PKI bundle, by their path under /etc/kubernetes/pki (kubeadm's
 * defaults). The bootstrap refuses any other name, so a tampered bundle cannot
 * write outside that directory.
 */
export const pkiBundleFiles = [
  "ca.crt",
  "ca.key",
  "front-proxy-ca.crt",
  "front-proxy-ca.key",
  "etcd/ca.crt",
  "etcd/ca.key",
  "sa.key",
  "sa.pub",
] as const;
export type PkiBundleFile = (typeof pkiBundleFiles)[number];

/** How long the stored join token lives; kubeadm's default. */
export const joinTokenTtlHours = 24;
