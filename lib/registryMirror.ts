/**
 * Where the cluster's images come from. Without a mirror, from their upstream
 * registries; with `calico-cluster:registryMirror`, every image from one
 * mirror that serves it under its upstream path without the registry host:
 * `registry.k8s.io/pause:3.10.1` at `<mirror>/pause:3.10.1`,
 * `quay.io/tigera/operator` at `<mirror>/tigera/operator`, `docker.io/calico/node`
 * at `<mirror>/calico/node`. That is the layout kubeadm's `imageRepository` and
 * Calico's `registry` expect, and the one add-ons should use through
 * `mirroredImage`. Pure: no Pulumi imports.
 */

/** kubeadm's default image repository. */
export const defaultImageRepository = "registry.k8s.io";

const upstreamRegistries = ["registry.k8s.io", "quay.io", "docker.io", "ghcr.io", "public.ecr.aws"];

/**
 * The image reference to pull: unchanged without a mirror, else the upstream
 * path (registry host dropped; Docker Hub's `library/` kept) under the mirror.
 * @param image an upstream reference with its registry host, e.g. `quay.io/tigera/operator:v1.40.0`
 */
export function mirroredImage(image: string, mirror: string | undefined): string {
  if (mirror === undefined) return image;
  const host = upstreamRegistries.find((registry) => image.startsWith(`${registry}/`));
  if (host === undefined) {
    throw new Error(
      `${image} does not start with a known upstream registry (${upstreamRegistries.join(", ")})`,
    );
  }
  return `${mirror}/${image.slice(host.length + 1)}`;
}

/** kubeadm's `imageRepository` (also the repository of its pause image). */
export function kubeadmImageRepository(mirror: string | undefined): string {
  return mirror ?? defaultImageRepository;
}
