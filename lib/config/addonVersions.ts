/**
 * Versions of the in-cluster AWS add-ons. Both the AWS cloud controller manager
 * and cluster-autoscaler support only the Kubernetes minor they were built for,
 * so their image versions follow `kubernetesVersion` by default and an explicit
 * version of another minor is refused. Pure: no Pulumi imports.
 *
 * Checked against the upstream tags: kubernetes/cloud-provider-aws `v1.31.9` ...
 * `v1.36.1`, kubernetes/autoscaler `cluster-autoscaler-1.31.5` ... `-1.36.1`;
 * charts `aws-cloud-controller-manager` 0.0.11 and `cluster-autoscaler` 9.59.0.
 */
import { kubernetesMinor, kubernetesVersionKey } from "./kubernetesVersion";

/** The add-ons whose versions are config; each key is `calico-cluster:<addon>.version`. */
export type AddonName = "cloudController" | "clusterAutoscaler";

/** Latest patch release per Kubernetes minor, as image tags. */
export const defaultAddonVersions: Readonly<Record<AddonName, Readonly<Record<string, string>>>> = {
  cloudController: {
    "1.31": "v1.31.9",
    "1.32": "v1.32.8",
    "1.33": "v1.33.4",
    "1.34": "v1.34.3",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
  },
  clusterAutoscaler: {
    "1.31": "v1.31.5",
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
  },
};

/** Chart versions; charts are independent of the image, which the values pin. */
export const defaultChartVersions: Readonly<Record<AddonName, string>> = {
  cloudController: "0.0.11",
  clusterAutoscaler: "9.59.0",
};

export const addonVersionPattern = /^v1\.\d+\.\d+$/;

/** `calico-cluster:cloudController.version`. */
export const addonVersionKey = (addon: AddonName) => `calico-cluster:${addon}.version`;

/** What an add-on runs: its image tag and chart version. */
export interface AddonVersion {
  /** Image tag with its leading `v`, e.g. `v1.34.3`. */
  readonly version: string;
  readonly chartVersion: string;
}

export type AddonVersionResult =
  | { readonly ok: true; readonly value: AddonVersion }
  | { readonly ok: false; readonly message: string };

/**
 * The version an add-on runs on a cluster of `kubernetesVersion`.
 * @param explicit the configured version, if any (already shaped `v1.x.y`)
 * @returns the version, or why there is none: a minor mismatch (naming both keys) or no default
 */
export function resolveAddonVersion(
  addon: AddonName,
  kubernetesVersion: string,
  explicit: { readonly version?: string; readonly chartVersion?: string } | undefined,
): AddonVersionResult {
  const minor = kubernetesMinor(kubernetesVersion);
  const chartVersion = explicit?.chartVersion ?? defaultChartVersions[addon];
  if (explicit?.version !== undefined) {
    const given = kubernetesMinor(explicit.version.replace(/^v/, ""));
    if (given !== minor) {
      return {
        ok: false,
        message: `is for Kubernetes ${given}, but ${kubernetesVersionKey} = "${kubernetesVersion}" (${minor}); the add-on supports only its own minor. Use a v${minor}.x release or leave ${addonVersionKey(addon)} unset`,
      };
    }
    return { ok: true, value: { version: explicit.version, chartVersion } };
  }
  const version = defaultAddonVersions[addon][minor];
  if (version === undefined) {
    return {
      ok: false,
      message: `is required: there is no default for ${kubernetesVersionKey} = "${kubernetesVersion}" (known minors: ${Object.keys(defaultAddonVersions[addon]).join(", ")}); set a v${minor}.x release`,
    };
  }
  return { ok: true, value: { version, chartVersion } };
}
