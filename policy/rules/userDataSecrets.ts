/**
 * Finds private keys and kubeadm bootstrap tokens in EC2 user data, in every
 * layer cloud-init would decode (./userDataLayers). Linear in the user data;
 * never throws.
 */
import { userDataLayers } from "./userDataLayers";

export type SecretKind = "private-key" | "bootstrap-token";

export interface UserDataSecret {
  readonly kind: SecretKind;
  /** `EC PRIVATE KEY`, `bootstrap token`: what was found, never the value. */
  readonly label: string;
  /** How it was reached, e.g. `base64 → gzip → base64`; empty when in plain text. */
  readonly encodings: readonly string[];
}

const privateKeyPattern = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/g;
const tokenPattern = /(?<![A-Za-z0-9._-])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9._-])/g;

/**
 * What secret material user data holds, each kind and label once.
 * @param userData the property as declared (plain text or base64)
 */
export function findUserDataSecrets(userData: string): UserDataSecret[] {
  const found = new Map<string, UserDataSecret>();
  for (const { text, encodings } of userDataLayers(userData)) {
    for (const match of text.matchAll(privateKeyPattern)) {
      const label = `${match[1]}PRIVATE KEY`;
      if (!found.has(label)) found.set(label, { kind: "private-key", label, encodings });
    }
    if (tokenPattern.test(text) && !found.has("token")) {
      found.set("token", { kind: "bootstrap-token", label: "kubeadm bootstrap token", encodings });
    }
    tokenPattern.lastIndex = 0;
  }
  return [...found.values()];
}
