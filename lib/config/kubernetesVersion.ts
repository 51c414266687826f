/**
 * The one Kubernetes version rule: the config schema, the kubeadm renderer and
 * the node components all ask it, so they can never disagree. Pure.
 */

/** v1beta4 (and its ECDSA-P256 encryptionAlgorithm) arrived in kubeadm 1.31. */
export const minimumKubernetesMinor = 31;

/** The stack-file key the version is read from. */
export const kubernetesVersionKey = "calico-cluster:kubernetesVersion";

const versionPattern = /^1\.(\d+)\.(\d+)$/;

/**
 * Why the cluster cannot run this version, or undefined if it can.
 * @param version without the leading `v`, e.g. `1.34.2`
 * @returns a phrase to follow the key and value, e.g. `needs 1.31 or later (...)`
 */
export function kubernetesVersionProblem(version: string): string | undefined {
  const match = versionPattern.exec(version);
  if (!match) return "must be a Kubernetes version such as 1.34.2";
  if (Number(match[1]) < minimumKubernetesMinor) {
    return `needs 1.${minimumKubernetesMinor} or later (kubeadm's v1beta4 config)`;
  }
  return undefined;
}

/** `1.34.2` → `1.34`: the minor that package repositories and add-on images follow. */
export function kubernetesMinor(version: string): string {
  return version.split(".").slice(0, 2).join(".");
}
