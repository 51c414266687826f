/**
 * Renders the user data of every example stack's nodes (the first master, a
 * joining master, each worker group) into a directory, together with the
 * scripts that user data writes, so CI can check them with the real
 * `cloud-init schema` and `shellcheck` (scripts/check-user-data.sh).
 * The user data names the secret store; the PKI and token are stand-ins of
 * realistic size (tests use them); nothing here needs AWS.
 *
 * Usage: tsx scripts/render-user-data.ts <output directory> [stack ...]
 */
import { createHash, generateKeyPairSync, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { planAddresses } from "../lib/plan/addressPlan";
import {
  type ControlPlaneSecrets,
  encodeUserData,
  type JoinSecrets,
  renderMasterUserData,
  renderWorkerUserData,
} from "../lib/nodes/cloudInit";
import { formatProblems } from "../lib/config/problems";
import { kubeadmClusterSettings } from "../lib/nodes/kubeadmConfig";
import { initMarkerParameterName } from "../lib/nodes/initMarker";
import { listStacks, loadStack } from "../lib/config/stackFiles";
import { type SecretStoreNames, secretStoreNamesFor } from "../lib/nodes/secretStore";

/** A PEM block of `bytes` random bytes: the size of the real thing, content irrelevant here. */
function pemBlock(label: string, bytes: number): string {
  const body =
    randomBytes(bytes)
      .toString("base64")
      .match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${body.join("\n")}\n-----END ${label}-----\n`;
}

/**
 * Stand-in secrets as large as the real ones: ECDSA P-256 keys made here, and
 * certificates the size of the @pulumi/tls CA certificates (about 450 bytes of
 * DER; 560 leaves headroom).
 */
export function sampleSecrets(): { join: JoinSecrets; pki: ControlPlaneSecrets } {
  const key = () =>
    generateKeyPairSync("ec", { namedCurve: "P-256" })
      .privateKey.export({ type: "sec1", format: "pem" })
      .toString();
  const serviceAccount = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const clusterCaCertPem = pemBlock("CERTIFICATE", 560);
  const join: JoinSecrets = {
    bootstrapToken: `${randomBytes(3).toString("hex")}.${randomBytes(8).toString("hex")}`,
    caCertHash: `sha256:${createHash("sha256").update(clusterCaCertPem).digest("hex")}`,
    clusterCaCertPem,
  };
  const pki: ControlPlaneSecrets = {
    clusterCaCertPem,
    clusterCaKeyPem: key(),
    frontProxyCaCertPem: pemBlock("CERTIFICATE", 560),
    frontProxyCaKeyPem: key(),
    etcdCaCertPem: pemBlock("CERTIFICATE", 560),
    etcdCaKeyPem: key(),
    serviceAccountKeyPem: serviceAccount.privateKey
      .export({ type: "sec1", format: "pem" })
      .toString(),
    serviceAccountPublicKeyPem: serviceAccount.publicKey
      .export({ type: "spki", format: "pem" })
      .toString(),
  };
  return { join, pki };
}

/** An NLB DNS name as long as AWS makes them: a 32-character name, a hash, the region. */
export function sampleApiHost(clusterName: string, region: string): string {
  const name = `${clusterName}-api`.padEnd(32, "x").slice(0, 32);
  return `${name}-0123456789abcdef.elb.${region}.amazonaws.com`;
}

/** The store names a stack's nodes get, with a KMS key ARN as long as AWS makes them. */
export function sampleStore(clusterName: string, region: string): SecretStoreNames {
  return {
    region,
    ...secretStoreNamesFor(clusterName),
    kmsKeyArn: `arn:aws:kms:${region}:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
  };
}

export interface RenderedUserData {
  readonly stack: string;
  /** `master-init`, `master-join` or `worker-<group>`. */
  readonly node: string;
  /** The cloud-config. */
  readonly text: string;
  /** What EC2 gets (`encodeUserData`): the text, or gzip'd when it would not fit. */
  readonly payload: Buffer;
}

/**
 * The user data of one stack's nodes.
 * @throws if the stack file is invalid, listing its problems
 */
export function renderStackUserData(stack: string): RenderedUserData[] {
  const result = loadStack(stack);
  if (!result.ok) throw new Error(formatProblems(stack, result.problems));
  const config = result.config;
  const plan = planAddresses(config);
  const settings = kubeadmClusterSettings(
    config,
    plan,
    sampleApiHost(config.clusterName, config.region),
  );
  const { join } = sampleSecrets();
  const store = sampleStore(config.clusterName, config.region);
  const master = (role: "init" | "control-plane") =>
    renderMasterUserData({
      settings,
      role,
      maxPods: config.masters.maxPods,
      joinDelaySeconds: role === "init" ? 0 : 90,
      initMarkerParameter: initMarkerParameterName(config.clusterName),
      join,
      store,
      region: config.region,
    });
  const rendered = (node: string, text: string): RenderedUserData => ({
    stack,
    node,
    text,
    payload: encodeUserData(text),
  });
  return [
    rendered("master-init", master("init")),
    rendered("master-join", master("control-plane")),
    ...config.workerGroups.map((group) =>
      rendered(
        `worker-${group.name}`,
        renderWorkerUserData({ settings, maxPods: group.maxPods, join, store }),
      ),
    ),
  ];
}

/**
 * Writes `<stack>-<node>.cloud-config.yaml` and, for each script the user data
 * writes, `<stack>-<node>.<script name>.sh`, exactly as cloud-init would write it.
 * @returns the paths written
 */
export function writeUserData(
  directory: string,
  stacks: readonly string[] = listStacks(),
): string[] {
  fs.mkdirSync(directory, { recursive: true });
  const written: string[] = [];
  for (const stack of stacks) {
    for (const rendered of renderStackUserData(stack)) {
      const base = path.join(directory, `${rendered.stack}-${rendered.node}`);
      fs.writeFileSync(`${base}.cloud-config.yaml`, rendered.text);
      written.push(`${base}.cloud-config.yaml`);
      const document = parseYaml(rendered.text) as {
        write_files: { path: string; content: string }[];
      };
      for (const file of document.write_files) {
        if (!file.content.startsWith("#!")) continue;
        const script = `${base}.${path.basename(file.path)}.sh`;
        fs.writeFileSync(script, file.content, { mode: 0o755 });
        written.push(script);
      }
    }
  }
  return written;
}

if (require.main === module) {
  const [directory, ...stacks] = process.argv.slice(2);
  if (!directory) {
    console.error("usage: tsx scripts/render-user-data.ts <output directory> [stack ...]");
    process.exit(2);
  }
  try {
    const written = writeUserData(directory, stacks.length > 0 ? stacks : listStacks());
    console.log(written.join("\n"));
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
