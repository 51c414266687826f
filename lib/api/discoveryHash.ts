/**
 * The discovery token CA cert hash that `kubeadm join` pins: a joining node
 * trusts the cluster-info it downloads only if the CA inside hashes to this.
 * Pure: no Pulumi imports.
 */
import { createHash, X509Certificate } from "node:crypto";

/**
 * `sha256:<hex>` of the CA certificate's DER-encoded SubjectPublicKeyInfo
 * (RFC 7469 pinning, as kubeadm computes it), so it matches what
 * `openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum` prints.
 * @param caCertPem the cluster CA certificate, PEM
 * @returns the value for `caCertHashes` / `--discovery-token-ca-cert-hash`
 * @throws if the text is not a PEM X.509 certificate
 */
export function discoveryTokenCaCertHash(caCertPem: string): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(caCertPem);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cluster CA certificate is not a PEM X.509 certificate: ${reason}`, {
      cause: error,
    });
  }
  const spki = certificate.publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("hex")}`;
}

/** kubeadm's bootstrap token format: `<6 chars id>.<16 chars secret>`, lower-case and digits. */
export const bootstrapTokenPattern = /^[a-z0-9]{6}\.[a-z0-9]{16}$/;
