/** Reading rendered cloud-config user data back, for assertions and for the real tools. */
import { gunzipSync } from "node:zlib";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { isWireSecret } from "./clusterMocks";

export interface CloudConfigFile {
  readonly path: string;
  readonly permissions: string;
  readonly content: string;
}

export interface CloudConfig {
  readonly files: ReadonlyMap<string, CloudConfigFile>;
  readonly runcmd: readonly (readonly string[])[];
}

export function parseCloudConfig(text: string): CloudConfig {
  if (!text.startsWith("#cloud-config\n")) throw new Error("user data is not a #cloud-config");
  const document = parseYaml(text) as {
    write_files: CloudConfigFile[];
    runcmd: string[][];
  };
  return {
    files: new Map(document.write_files.map((file) => [file.path, file])),
    runcmd: document.runcmd,
  };
}

/** The content of a written file; throws if the user data does not write it. */
export function fileContent(config: CloudConfig, path: string): string {
  const file = config.files.get(path);
  if (!file) throw new Error(`the user data writes no ${path}`);
  return file.content;
}

/** Every YAML document of a file, as objects. */
export function yamlDocuments(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text).map((document) => document.toJS() as Record<string, unknown>);
}

/** The document of a kind in a multi-document kubeadm file. */
export function documentOfKind(text: string, kind: string): Record<string, unknown> {
  const found = yamlDocuments(text).filter((document) => document.kind === kind);
  if (found.length !== 1) throw new Error(`${found.length} documents of kind ${kind}`);
  return found[0];
}

/** The text of base64 user data, inflated as cloud-init inflates it when it is gzip'd. */
export function decodeUserDataBase64(value: string): string {
  const bytes = Buffer.from(value, "base64");
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  return (gzipped ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** The cloud-config text of a launch template's recorded `userData` (a base64 secret on the wire). */
export function decodeWireUserData(wireValue: unknown): string {
  if (!isWireSecret(wireValue)) throw new Error("userData is not a secret on the wire");
  const value = (wireValue as { value: unknown }).value;
  if (typeof value !== "string") throw new Error("userData has no value");
  return decodeUserDataBase64(value);
}

/** The scripts the user data writes (content starting with `#!`), by path. */
export function scriptsOf(config: CloudConfig): CloudConfigFile[] {
  return [...config.files.values()].filter((file) => file.content.startsWith("#!"));
}
