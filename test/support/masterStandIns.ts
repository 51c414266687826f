/**
 * Stand-in `etcdctl`, `aws`, `kubeadm` and `curl` on PATH, for running the
 * rendered master scripts for real (bash, coreutils, sed) against a fake
 * cluster kept in files: the masters EC2 reports up, the etcd membership, the
 * endpoints that fail their health check, the Auto Scaling lifecycle states.
 * Every call is appended to `calls`, one line each, for the tests to read.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** The stand-ins live next to this file, one shell script each. */
const standInDir = path.join(__dirname, "standIns");
export type StandIn = "aws" | "etcdctl" | "kubeadm" | "curl";

export interface FakeCluster {
  readonly dir: string;
  /** Writes a state file. */
  set(file: string, content: string): void;
  read(file: string): string;
  /** Lines appended to `calls`. */
  calls(): string[];
  /** Runs a script with the stand-ins first on PATH. */
  run(script: string, args?: readonly string[]): { status: number | null; stderr: string };
  remove(): void;
}

export function fakeCluster(commands: readonly StandIn[]): FakeCluster {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stand-ins-"));
  const bin = path.join(dir, "bin");
  const state = path.join(dir, "state");
  fs.mkdirSync(bin);
  fs.mkdirSync(state);
  for (const command of commands) {
    fs.copyFileSync(path.join(standInDir, command), path.join(bin, command));
    fs.chmodSync(path.join(bin, command), 0o755);
  }
  for (const file of ["calls", "alive", "members", "unhealthy", "lifecycle"]) {
    fs.writeFileSync(path.join(state, file), "");
  }
  return {
    dir,
    set: (file, content) => fs.writeFileSync(path.join(state, file), content),
    read: (file) => fs.readFileSync(path.join(state, file), "utf8"),
    calls: () => fs.readFileSync(path.join(state, "calls"), "utf8").split("\n").filter(Boolean),
    run(script, args = []) {
      const file = path.join(dir, "script.sh");
      fs.writeFileSync(file, script, { mode: 0o700 });
      const result = spawnSync("bash", [file, ...args], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, STATE: state, PATH: `${bin}:/usr/bin:/bin` },
      });
      return { status: result.status, stderr: result.stderr };
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
