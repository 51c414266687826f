/**
 * The control-plane PKI as stored in its Secrets Manager secret: one line per
 * file, `<path under /etc/kubernetes/pki> <base64 of the content>`. A line
 * format, not JSON, so the node reads it with `read` alone (no jq on a stock
 * image) and no PEM newline ever has to be escaped. Pure: no Pulumi imports.
 */
import type { ControlPlaneSecrets } from "./cloudInit";
import { type PkiBundleFile, pkiBundleFiles } from "./secretStore";

const fieldOf: Record<PkiBundleFile, keyof ControlPlaneSecrets> = {
  "ca.crt": "clusterCaCertPem",
  "ca.key": "clusterCaKeyPem",
  "front-proxy-ca.crt": "frontProxyCaCertPem",
  "front-proxy-ca.key": "frontProxyCaKeyPem",
  "etcd/ca.crt": "etcdCaCertPem",
  "etcd/ca.key": "etcdCaKeyPem",
  "sa.key": "serviceAccountKeyPem",
  "sa.pub": "serviceAccountPublicKeyPem",
};

/** The secret string of the PKI secret. */
export function encodePkiBundle(pki: ControlPlaneSecrets): string {
  return pkiBundleFiles
    .map((file) => `${file} ${Buffer.from(pki[fieldOf[file]], "utf8").toString("base64")}`)
    .join("\n")
    .concat("\n");
}

/**
 * Reads a bundle back (tests, operators' tooling).
 * @throws naming the line, never its content, if a line is malformed or a file is missing
 */
export function decodePkiBundle(text: string): Record<PkiBundleFile, string> {
  const files: Partial<Record<PkiBundleFile, string>> = {};
  text.split("\n").forEach((line, index) => {
    if (line.trim() === "") return;
    const [name, encoded, ...rest] = line.split(" ");
    if (!(pkiBundleFiles as readonly string[]).includes(name) || !encoded || rest.length > 0) {
      throw new Error(`PKI bundle line ${index + 1} is not "<file> <base64>" for a known file`);
    }
    files[name as PkiBundleFile] = Buffer.from(encoded, "base64").toString("utf8");
  });
  const missing = pkiBundleFiles.filter((file) => files[file] === undefined);
  if (missing.length > 0) throw new Error(`PKI bundle lacks ${missing.join(", ")}`);
  return files as Record<PkiBundleFile, string>;
}
