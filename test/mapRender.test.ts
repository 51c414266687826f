/**
 * The map's pure parts: layout numbers (CIDR covers, gaps, axis, tracks), where
 * each finding lands on a page, escaping, and the command's usage and default
 * output folder. The browser test (mapBrowser.test.ts) checks what a person sees.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { mustParseCidr } from "../policy/rules/cidr";
import type { Problem } from "../policy/rules/findings";
import {
  assignTracks,
  compressedAxis,
  freeGaps,
  intervalToCidrs,
  spacesFor,
  xOf,
} from "../lib/map/layout";
import { elementForSubject, type MapStack, rangeView } from "../lib/map/model";
import { stackPage } from "../lib/map/stackPage";
import { planFrom, configFrom, validClusterInput } from "./support/configs";

const root = path.join(__dirname, "..");
const temporaryDirectories: string[] = [];
after(() => {
  for (const directory of temporaryDirectories)
    fs.rmSync(directory, { recursive: true, force: true });
});

const texts = (cidrs: readonly { text: string }[]) => cidrs.map((cidr) => cidr.text);

describe("map layout", () => {
  it("covers an interval with the fewest CIDR blocks", () => {
    const start = mustParseCidr("10.4.0.0/14").start;
    const end = mustParseCidr("10.16.0.0/14").end;
    assert.deepEqual(texts(intervalToCidrs(start, end)), [
      "10.4.0.0/14",
      "10.8.0.0/13",
      "10.16.0.0/14",
    ]);
    const one = mustParseCidr("192.168.1.7/32");
    assert.deepEqual(texts(intervalToCidrs(one.start, one.end)), ["192.168.1.7/32"]);
  });

  it("finds the free gaps of a space, nested and overlapping ranges counted once", () => {
    const space = mustParseCidr("10.0.0.0/8");
    const gaps = freeGaps(
      space,
      ["10.0.0.0/14", "10.0.0.0/16", "10.20.0.0/16", "11.0.0.0/8"].map(mustParseCidr),
    );
    assert.deepEqual(
      gaps.map((gap) => texts(gap.cidrs)),
      [
        ["10.4.0.0/14", "10.8.0.0/13", "10.16.0.0/14"],
        [
          "10.21.0.0/16",
          "10.22.0.0/15",
          "10.24.0.0/13",
          "10.32.0.0/11",
          "10.64.0.0/10",
          "10.128.0.0/9",
        ],
      ],
    );
    assert.deepEqual(freeGaps(space, [space]), []);
  });

  it("draws each range in the smallest well-known space holding it, none inside another", () => {
    const spaces = spacesFor(
      ["10.20.0.0/16", "100.64.0.0/16", "172.16.0.0/16", "172.0.0.0/8", "8.8.8.0/24"].map(
        mustParseCidr,
      ),
    );
    assert.deepEqual(
      spaces.map((space) => space.cidr.text),
      ["8.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "172.0.0.0/8"],
    );
  });

  it("keeps positions monotonic and small ranges visible on the compressed axis", () => {
    const ranges = ["10.0.0.0/14", "10.20.0.0/16", "10.30.0.0/22"].map(mustParseCidr);
    const axis = compressedAxis(spacesFor(ranges)[0], ranges, 1000);
    const edges = ranges.flatMap((range) => [xOf(axis, range.start), xOf(axis, range.end + 1n)]);
    assert.deepEqual(
      [...edges].sort((a, b) => a - b),
      edges,
    );
    assert.ok(Math.abs(xOf(axis, mustParseCidr("10.0.0.0/8").end + 1n) - 1000) < 1e-6);
    const small = xOf(axis, ranges[2].end + 1n) - xOf(axis, ranges[2].start);
    assert.ok(small > 40, `a /22 in a /8 is ${small}px wide`);
  });

  it("puts overlapping ranges on different tracks", () => {
    const items = ["10.0.0.0/16", "10.0.0.0/18", "10.1.0.0/16"].map(mustParseCidr);
    const tracks = assignTracks(items, (item) => item);
    assert.deepEqual(
      items.map((item) => tracks.get(item)),
      [0, 1, 0],
    );
  });
});

describe("map findings", () => {
  it("maps finding subjects to page elements", () => {
    assert.equal(elementForSubject("calico-cluster:vpcCidr"), "vpc");
    assert.equal(elementForSubject("alpha: calico-cluster:vpcCidr"), "vpc");
    assert.equal(elementForSubject("subnet eu-west-1a private"), "subnet-eu-west-1a-private");
    assert.equal(elementForSubject("calico-cluster:podBlockSize"), "pod-pool");
    assert.equal(elementForSubject("calico-cluster:workerGroups[2]"), "group-2");
    assert.equal(elementForSubject("calico-cluster:reservedRanges[1]"), "reserved-1");
    assert.equal(elementForSubject("calico-cluster:masters"), "group-masters");
    assert.equal(elementForSubject("urn:pulumi:x::y::aws:ec2/vpc:Vpc::vpc"), undefined);
  });

  it("shows every finding on a stack page, escaped, with its code", () => {
    const input = {
      ...validClusterInput(),
      reservedRanges: [{ name: "<b>lab</b>", cidr: "10.50.0.0/20" }],
    };
    const config = configFrom(input);
    const plan = planFrom(input);
    const stray: Problem = {
      code: "made-up",
      severity: "warning",
      subjects: ["somewhere else"],
      message: "a <script>alert(1)</script> finding",
      fix: "",
    };
    const entry: MapStack = { stack: "unit", config, plan, problems: [], domainFindings: [stray] };
    const html = stackPage(entry, [entry]);
    assert.ok(plan.findings.some((finding) => finding.code === "cidr-overlap"));
    for (const finding of [...plan.findings, stray]) {
      assert.ok(html.includes(`data-code="${finding.code}"`), finding.code);
    }
    assert.ok(!html.includes("<script>") && html.includes("&lt;script&gt;"));
    assert.ok(!html.includes("<b>lab</b>"));
    assert.match(html, /id="other-findings"/);
    const view = rangeView([entry]);
    assert.ok(view.collisions.length >= 1, "the reserved range inside the VPC is a collision");
    assert.ok(view.ranges.filter((range) => range.collides).length >= 2);
  });
});

describe("npm run map", () => {
  const runMap = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(root, "scripts", "map.ts"), ...args],
      {
        cwd: root,
        encoding: "utf8",
      },
    );

  it("writes one stack's page and its domain's index to --out", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "map-out-"));
    temporaryDirectories.push(out);
    const result = runMap("--stack", "search-dev", "--out", out);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(out).sort(), ["index.html", "search-dev.html"]);
    const index = fs.readFileSync(path.join(out, "index.html"), "utf8");
    assert.match(index, /href="search-dev.html"/);
    assert.doesNotMatch(index, /href="payments-prod.html"/, "no link to a page not written");
    assert.match(index, /10\.20\.0\.0\/16/, "its domain neighbours are drawn");
  });

  it("refuses bad usage with exit 2 and writes to a git-ignored folder by default", () => {
    const neither = runMap();
    assert.equal(neither.status, 2);
    assert.match(neither.stderr, /give either --stack <name> or --all/);
    const unknown = runMap("--stack", "nope");
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no stack file/);
    const ignored = spawnSync("git", ["check-ignore", "-q", "out/map/index.html"], { cwd: root });
    assert.equal(ignored.status, 0, "out/map/ is git-ignored");
  });
});
