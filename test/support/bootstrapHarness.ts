/**
 * Runs a node's rendered user data the way cloud-init would, in a scratch root,
 * against stand-in commands and a local IMDSv2 stub, and reports what happened.
 *
 * - The cloud-config's `write_files` are written under the scratch root with their
 *   permissions; its `runcmd` (the bootstrap script and its role) is run with bash.
 *   The script sees the root as `BOOTSTRAP_ROOT` and the stub as `BOOTSTRAP_IMDS_ENDPOINT`.
 * - Stand-ins (./standIns.ts) shadow `apt-get`, `curl`, `kubeadm`, `systemctl`, `aws`
 *   and the rest on PATH; each call is recorded. Override one with a bash body
 *   (`standIns: { kubeadm: '... default_kubeadm "$@"' }`); the defaults model a
 *   healthy stock Ubuntu node, an API that is down until `kubeadm init` brings it up
 *   (or up from the start with `api: "up"`), SSM parameters from `ssmParameters`.
 * - `curl` to the IMDS stub goes to the real curl, so the script's IMDSv2 calls are
 *   checked for real: a token from PUT /latest/api/token, sent on every read.
 * - `sleep` returns at once: loops bounded by attempt counts run in milliseconds.
 *
 * Usage: `const run = await runUserData({ userData, imds: { region: "eu-west-1" } })`,
 * then assert on `run.exitCode`, `run.calls("kubeadm")`, `run.file("/etc/...")`,
 * `run.ssmParameter(name)`, `run.output` (stdout and stderr: the console log).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { parse as parseYaml } from "yaml";
import { pkiBundleFiles } from "../../lib/nodes/secretStore";
import {
  containerdDefaultConfig,
  type StandInCommand,
  standInCommands,
  standInLibrary,
  standInScript,
} from "./standIns";

/** What the IMDS stub answers under /latest/meta-data/. */
export interface ImdsAnswers {
  readonly localIpv4: string;
  readonly region: string;
  readonly instanceId: string;
  /** What EC2 reports with the VPC's DHCP options; the bootstrap must not use it. */
  readonly localHostname: string;
}

export interface UserDataRunOptions {
  /** The user data as EC2 gets it: cloud-config text or gzip'd bytes. */
  readonly userData: string | Buffer;
  readonly imds?: Partial<ImdsAnswers>;
  /** Bash bodies replacing stand-ins' defaults. */
  readonly standIns?: Partial<Record<StandInCommand, string>>;
  /** The image carries the node software already (kubeadm/kubelet answer before any apt). */
  readonly preBaked?: boolean;
  /** The API endpoint's state at boot; @default "refused" (nothing listening) */
  readonly api?: "up" | "refused" | "timeout" | "forbidden";
  /**
   * SSM parameters by name, as the stand-in `aws ssm` serves them. The script's join
   * token parameter holds a valid token unless given here.
   */
  readonly ssmParameters?: Readonly<Record<string, string>>;
  /**
   * Secrets Manager secrets by id, as `aws secretsmanager get-secret-value` serves them.
   * The script's PKI secret holds a complete bundle (stand-in files) unless given here.
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** Files under the scratch root before boot (path → content), e.g. an image's containerd config. */
  readonly files?: Readonly<Record<string, string>>;
  /** What `containerd config default` prints; @default a containerd 2.x config */
  readonly containerdDefault?: string;
  /** @default 60000 */
  readonly timeoutMs?: number;
}

export interface StandInCall {
  readonly command: string;
  readonly args: readonly string[];
}

export interface UserDataRun {
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr: what reaches cloud-init's output log and the EC2 console. */
  readonly output: string;
  readonly root: string;
  readonly allCalls: readonly StandInCall[];
  /** The calls of one command, in order. */
  calls(command: StandInCommand): StandInCall[];
  /** A file under the scratch root, or undefined. */
  file(path: string): string | undefined;
  /** A file's permission bits, e.g. 0o644. */
  mode(path: string): number | undefined;
  ssmParameter(name: string): string | undefined;
  /** Requests the IMDS stub served, as `METHOD path status`. */
  readonly imdsRequests: readonly string[];
}

const defaultImds: ImdsAnswers = {
  localIpv4: "10.40.1.23",
  region: "us-east-1",
  instanceId: "i-0123456789abcdef0",
  localHostname: "ip-10-40-1-23.ec2.internal",
};

/** The join token the stand-in store serves by default. */
export const standInJoinToken = "abcdef.0123456789abcdef";

/** A PKI bundle (lines of `<file> <base64>`) with stand-in PEM blocks for every file. */
function standInPkiBundle(): string {
  return pkiBundleFiles
    .map((file) => {
      const label = file.endsWith(".crt")
        ? "CERTIFICATE"
        : file.endsWith(".pub")
          ? "PUBLIC KEY"
          : "PRIVATE KEY";
      const pem = `-----BEGIN ${label}-----\nstand-in ${file}\n-----END ${label}-----\n`;
      return `${file} ${Buffer.from(pem).toString("base64")}`;
    })
    .join("\n");
}

const ssmFileName = (name: string) => name.replace(/\//g, "_");

/** An IMDSv2 stub: a token from PUT /latest/api/token, required on every read. */
async function startImds(answers: ImdsAnswers, log: string[]): Promise<http.Server> {
  const token = "stub-imds-token";
  const values: Record<string, string> = {
    "local-ipv4": answers.localIpv4,
    "placement/region": answers.region,
    "placement/availability-zone": `${answers.region}a`,
    "instance-id": answers.instanceId,
    "local-hostname": answers.localHostname,
  };
  const server = http.createServer((request, response) => {
    const url = request.url ?? "";
    let status = 404;
    let body = "";
    if (url === "/latest/api/token") {
      const ttl = request.headers["x-aws-ec2-metadata-token-ttl-seconds"];
      [status, body] = request.method === "PUT" && ttl ? [200, token] : [400, ""];
    } else if (url.startsWith("/latest/meta-data/")) {
      const value = values[url.slice("/latest/meta-data/".length)];
      if (request.headers["x-aws-ec2-metadata-token"] !== token) status = 401;
      else if (value !== undefined) [status, body] = [200, value];
    }
    log.push(`${request.method} ${url} ${status}`);
    response.writeHead(status, { "content-type": "text/plain" });
    response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function cloudConfig(userData: string | Buffer): {
  files: { path: string; permissions: string; content: string }[];
  runcmd: string[][];
} {
  const bytes = typeof userData === "string" ? Buffer.from(userData) : userData;
  const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString();
  const document = parseYaml(text) as {
    write_files: { path: string; permissions: string; content: string }[];
    runcmd: string[][];
  };
  return { files: document.write_files, runcmd: document.runcmd };
}

function realCurl(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "curl");
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error("the harness needs a real curl on PATH for the IMDS stub");
}

/** Boots one node's user data in a fresh scratch root. */
export async function runUserData(options: UserDataRunOptions): Promise<UserDataRun> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bootstrap-"));
  const root = path.join(scratch, "root");
  const state = path.join(scratch, "state");
  const bin = path.join(scratch, "bin");
  for (const dir of [root, state, bin]) fs.mkdirSync(dir, { recursive: true });

  const { files, runcmd } = cloudConfig(options.userData);
  for (const file of files) {
    const target = path.join(root, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content, { mode: parseInt(file.permissions, 8) });
    fs.chmodSync(target, parseInt(file.permissions, 8));
  }
  for (const [file, content] of Object.entries(options.files ?? {})) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), content);
  }
  const [command] = runcmd;
  if (!command || command.length === 0) throw new Error("the user data has no runcmd");
  const script = fs.readFileSync(path.join(root, command[0]), "utf8");
  const version = /^readonly KUBERNETES_VERSION='([^']+)'$/m.exec(script)?.[1] ?? "0.0.0";
  const endpoint = /^readonly API_ENDPOINT='([^']+)'$/m.exec(script)?.[1] ?? "";

  fs.writeFileSync(
    path.join(state, "containerd-default.toml"),
    options.containerdDefault ?? containerdDefaultConfig,
  );
  fs.writeFileSync(path.join(state, "api"), `${options.api ?? "refused"}\n`);
  if (options.preBaked) fs.writeFileSync(path.join(state, "prebaked"), "");
  fs.mkdirSync(path.join(state, "ssm"));
  const scriptConstant = (name: string) =>
    new RegExp(`^readonly ${name}='([^']+)'$`, "m").exec(script)?.[1];
  const tokenParameter = scriptConstant("JOIN_TOKEN_PARAMETER");
  const pkiSecret = scriptConstant("PKI_SECRET_ID");
  const ssmParameters = {
    ...(tokenParameter ? { [tokenParameter]: standInJoinToken } : {}),
    ...options.ssmParameters,
  };
  const secrets = {
    ...(pkiSecret ? { [pkiSecret]: standInPkiBundle() } : {}),
    ...options.secrets,
  };
  for (const [id, value] of Object.entries(secrets)) {
    fs.writeFileSync(path.join(state, "ssm", ssmFileName(`secret:${id}`)), `${value}\n`);
  }
  for (const [name, value] of Object.entries(ssmParameters)) {
    fs.writeFileSync(path.join(state, "ssm", ssmFileName(name)), `${value}\n`);
  }
  const library = path.join(state, "standin-lib.sh");
  fs.writeFileSync(library, standInLibrary);
  for (const name of standInCommands) {
    fs.writeFileSync(path.join(bin, name), standInScript(name, options.standIns?.[name]), {
      mode: 0o755,
    });
  }

  const imdsLog: string[] = [];
  const imds = await startImds({ ...defaultImds, ...options.imds }, imdsLog);
  const imdsEndpoint = `http://127.0.0.1:${(imds.address() as AddressInfo).port}`;
  const env = {
    PATH: `${bin}${path.delimiter}/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: scratch,
    LANG: "C.UTF-8",
    BOOTSTRAP_ROOT: root,
    BOOTSTRAP_IMDS_ENDPOINT: imdsEndpoint,
    STANDIN_STATE: state,
    STANDIN_LIB: library,
    STANDIN_KUBERNETES_VERSION: version,
    STANDIN_API_ENDPOINT: endpoint,
    REAL_CURL: realCurl(),
  };
  let stdout = "";
  let stderr = "";
  let exitCode: number | null;
  try {
    exitCode = await new Promise<number | null>((resolve, reject) => {
      const child = spawn("bash", [path.join(root, command[0]), ...command.slice(1)], { env });
      const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60000);
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("error", reject);
      child.on("close", (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
  } finally {
    await new Promise<void>((resolve) => imds.close(() => resolve()));
  }

  const callsFile = path.join(state, "calls.log");
  const allCalls: StandInCall[] = fs.existsSync(callsFile)
    ? fs
        .readFileSync(callsFile, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => {
          const [name, ...args] = line.split("\x1f");
          return { command: name, args };
        })
    : [];
  const inRoot = (file: string) => path.join(root, file);
  return {
    exitCode,
    stdout,
    stderr,
    output: `${stdout}${stderr}`,
    root,
    allCalls,
    calls: (name) => allCalls.filter((call) => call.command === name),
    file: (file) =>
      fs.existsSync(inRoot(file)) ? fs.readFileSync(inRoot(file), "utf8") : undefined,
    mode: (file) =>
      fs.existsSync(inRoot(file)) ? fs.statSync(inRoot(file)).mode & 0o777 : undefined,
    ssmParameter: (name) => {
      const file = path.join(state, "ssm", ssmFileName(name));
      return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim() : undefined;
    },
    imdsRequests: imdsLog,
  };
}

/** Removes a run's scratch directory. */
export function removeRun(run: Pick<UserDataRun, "root">): void {
  fs.rmSync(path.dirname(run.root), { recursive: true, force: true });
}
