/**
 * Mock outputs for the PKI and node resources, so components that compute on
 * them (the CA hash, the user data) run under the mock engine in update mode as
 * they would for real: real certificates and keys, tokens of the requested
 * length, launch template versions. Outputs the providers mark secret
 * (`additionalSecretOutputs` in @pulumi/tls and @pulumi/random, which the mock
 * monitor does not apply) come back secret.
 */
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockStateProvider, RecordedResource } from "../../lib/harness/mockEngine";

/** The wire format's secret marker (`{ [secretSig]: secretValue, value }`). */
export const secretSig = "4dabf18193072939515e22adb298388d";

const generated = new Map<string, string>();

/** The account of every ARN the mocks make. */
export const mockAccountId = "123456789012";

/** A self-signed ECDSA certificate made by openssl, one per key (cached). */
export function opensslCertificate(commonName: string): string {
  const cached = generated.get(`cert:${commonName}`);
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mock-cert-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        `/CN=${commonName}`,
        "-days",
        "1",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "pipe" },
    );
    const pem = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    generated.set(`cert:${commonName}`, pem);
    return pem;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function ecKeyPair(name: string): { privateKeyPem: string; publicKeyPem: string } {
  const cached = generated.get(`key:${name}`);
  if (cached) return JSON.parse(cached) as { privateKeyPem: string; publicKeyPem: string };
  const pair = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const result = {
    privateKeyPem: pair.privateKey.export({ type: "sec1", format: "pem" }).toString(),
    publicKeyPem: pair.publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
  generated.set(`key:${name}`, JSON.stringify(result));
  return result;
}

/** Deterministic lower-case alphanumerics, as `RandomPassword` with upper and special off. */
function randomChars(name: string, length: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const digest = createHash("sha256").update(name).digest();
  return Array.from(
    { length },
    (_, i) => alphabet[digest[i % digest.length] % alphabet.length],
  ).join("");
}

/** The private key PEM the mock gives the `tls.PrivateKey` of this logical name. */
export const mockPrivateKeyPem = (name: string) => ecKeyPair(name).privateKeyPem;
/** The certificate the mock gives the `tls.SelfSignedCert` / `LocallySignedCert` of this logical name. */
export const mockCertificatePem = (name: string) => opensslCertificate(name);
/** The `result` the mock gives the `random.RandomPassword` of this logical name. */
export const mockRandomResult = (name: string, length: number) => randomChars(name, length);

export const clusterMockState: MockStateProvider = (args, preview) => {
  if (preview) return undefined;
  const inputs = args.inputs as Record<string, unknown>;
  const base = { ...inputs, arn: `arn:aws:mock:::${args.type}/${args.name}` };
  switch (args.type) {
    case "tls:index/privateKey:PrivateKey": {
      const pair = ecKeyPair(args.name);
      return {
        id: `${args.name}-id`,
        state: {
          ...base,
          privateKeyPem: pulumi.secret(pair.privateKeyPem),
          publicKeyPem: pair.publicKeyPem,
        },
      };
    }
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return {
        id: `${args.name}-id`,
        state: {
          ...base,
          ...(typeof inputs.privateKeyPem === "string"
            ? { privateKeyPem: pulumi.secret(inputs.privateKeyPem) }
            : {}),
          ...(typeof inputs.caPrivateKeyPem === "string"
            ? { caPrivateKeyPem: pulumi.secret(inputs.caPrivateKeyPem) }
            : {}),
          certPem: opensslCertificate(args.name),
        },
      };
    case "tls:index/certRequest:CertRequest":
      return {
        id: `${args.name}-id`,
        state: {
          ...base,
          privateKeyPem: pulumi.secret(String(inputs.privateKeyPem)),
          certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${args.name}\n-----END CERTIFICATE REQUEST-----\n`,
        },
      };
    case "random:index/randomPassword:RandomPassword":
      return {
        id: `${args.name}-id`,
        state: { ...base, result: pulumi.secret(randomChars(args.name, Number(inputs.length))) },
      };
    case "aws:iam/role:Role":
      // A real account id, so ARNs built from the role's (the store's) are well-formed.
      return {
        id: `${args.name}-id`,
        state: {
          ...base,
          name: `${String(inputs.namePrefix ?? args.name)}mock`,
          arn: `arn:aws:iam::${mockAccountId}:role/${String(inputs.namePrefix ?? args.name)}mock`,
        },
      };
    case "aws:kms/key:Key":
      return {
        id: `${args.name}-id`,
        state: {
          ...base,
          keyId: `${args.name}-key-id`,
          arn: `arn:aws:kms:eu-west-1:${mockAccountId}:key/${args.name}-key-id`,
        },
      };
    case "aws:secretsmanager/secret:Secret":
      return {
        id: `${args.name}-id`,
        state: {
          ...base,
          arn: `arn:aws:secretsmanager:eu-west-1:${mockAccountId}:secret:${String(inputs.name)}-AbCdEf`,
        },
      };
    case "aws:ec2/launchTemplate:LaunchTemplate":
      return { id: `${args.name}-id`, state: { ...base, latestVersion: 3 } };
    case "aws:autoscaling/group:Group":
      return {
        id: `${args.name}-id`,
        state: { ...base, name: `${String(inputs.namePrefix)}mock` },
      };
    default:
      return undefined;
  }
};

/** True if a wire value is a secret (or an unknown, which carries no value to leak). */
export function isWireSecret(value: unknown): boolean {
  return typeof value === "object" && value !== null && secretSig in value;
}

/**
 * Every plain (non-secret) string in the recorded wire inputs that contains
 * one of the needles, directly or base64-encoded (user data is base64).
 */
export function plainSecretLeaks(
  resources: readonly RecordedResource[],
  needles: readonly string[],
): string[] {
  const leaks: string[] = [];
  const visit = (value: unknown, where: string): void => {
    if (typeof value === "string") {
      const decoded =
        /^[A-Za-z0-9+/]+=*$/.test(value) && value.length >= 16
          ? Buffer.from(value, "base64").toString("utf8")
          : "";
      for (const needle of needles) {
        if (value.includes(needle) || decoded.includes(needle))
          leaks.push(`${where} contains ${needle.slice(0, 40)}`);
      }
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, `${where}[${index}]`));
    } else if (typeof value === "object" && value !== null && !isWireSecret(value)) {
      for (const [key, item] of Object.entries(value)) visit(item, `${where}.${key}`);
    }
  };
  for (const resource of resources) visit(resource.wireInputs, `${resource.type} ${resource.name}`);
  return leaks;
}

/** Resolves an Output's value and whether it is secret, known or not. */
export async function inspect<T>(
  output: pulumi.Output<T>,
): Promise<{ value: T | undefined; secret: boolean; known: boolean }> {
  const internal = output as unknown as {
    promise(): Promise<T>;
    isKnown: Promise<boolean>;
    isSecret: Promise<boolean>;
  };
  const [value, known, secret] = await Promise.all([
    internal.promise(),
    internal.isKnown,
    internal.isSecret,
  ]);
  return { value: known ? value : undefined, secret, known };
}
