/**
 * `npm run map -- --all` as a person sees it: the pages it writes for the example
 * stacks plus a broken and an invalid one, opened in a real chromium. Every page
 * loads with no console error and no request beyond its own file, shows the
 * plan's CIDRs as text, and the broken stack shows its overlap. Screenshots stay
 * in out/map-test/ (git-ignored) for CI to keep as an artifact.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { type Browser, launchBrowser } from "./support/browser";
import { validClusterInput } from "./support/configs";
import { exampleStacks, loadExample } from "./support/stacks";

const root = path.join(__dirname, "..");
const artifacts = path.join(root, "out", "map-test");
const pagesDir = path.join(artifacts, "pages");
const screenshotsDir = path.join(artifacts, "screenshots");
const stacksDir = fs.mkdtempSync(path.join(os.tmpdir(), "map-stacks-"));

function writeStack(name: string, cluster: Record<string, unknown>): void {
  const config = Object.fromEntries(
    Object.entries(cluster).map(([key, value]) => [`calico-cluster:${key}`, value]),
  );
  fs.writeFileSync(
    path.join(stacksDir, `Pulumi.${name}.yaml`),
    stringify({ config: { "aws:region": "eu-west-1", ...config } }),
  );
}

/** Overlaps payments-prod's VPC in the corp domain, and its pool is too small for its nodes. */
const brokenVpc = "10.20.64.0/18";
const brokenPool = "100.80.0.0/22";

let browser: Browser;

before(async () => {
  for (const file of fs.readdirSync(path.join(root, "stacks"))) {
    fs.copyFileSync(path.join(root, "stacks", file), path.join(stacksDir, file));
  }
  writeStack("broken", {
    ...validClusterInput(),
    clusterName: "broken",
    routingDomain: "corp",
    vpcCidr: brokenVpc,
    podCidr: brokenPool,
  });
  writeStack("invalid", { ...validClusterInput(), vpcCidr: "10.60.0.1/16" });
  fs.rmSync(artifacts, { recursive: true, force: true });
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "scripts", "map.ts"),
      "--all",
      "--stacks-dir",
      stacksDir,
      "--out",
      pagesDir,
    ],
    { cwd: root, encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  fs.rmSync(stacksDir, { recursive: true, force: true });
});

interface Visit {
  readonly text: string;
  readonly consoleErrors: readonly string[];
  readonly foreignRequests: readonly string[];
  count(selector: string): Promise<number>;
  /** Screenshots one element into out/map-test/screenshots/<name>.png. */
  shoot(selector: string, name: string): Promise<void>;
  close(): Promise<void>;
}

/** Opens a page, records console errors and every request other than the page itself. */
async function visit(file: string): Promise<Visit> {
  const page = await browser.context.newPage();
  const url = pathToFileURL(path.join(pagesDir, file)).href;
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => {
    if (request.url() !== url) foreignRequests.push(request.url());
  });
  await page.goto(url, { waitUntil: "load" });
  const text = await page.innerText("body");
  await page.screenshot({
    path: path.join(screenshotsDir, file.replace(/\.html$/, ".png")),
    fullPage: true,
  });
  return {
    text,
    consoleErrors,
    foreignRequests,
    count: (selector) => page.locator(selector).count(),
    shoot: async (selector, name) => {
      await page
        .locator(selector)
        .first()
        .screenshot({ path: path.join(screenshotsDir, `${name}.png`) });
    },
    close: () => page.close(),
  };
}

describe("npm run map in a real browser", () => {
  it("writes an index and a page per stack", () => {
    const written = fs.readdirSync(pagesDir).sort();
    assert.deepEqual(
      written,
      [
        "broken.html",
        "index.html",
        "invalid.html",
        ...exampleStacks.map((s) => `${s}.html`),
      ].sort(),
    );
  });

  for (const stack of exampleStacks) {
    it(`${stack}: loads cleanly and shows every CIDR of its plan as text`, async () => {
      const page = await visit(`${stack}.html`);
      try {
        assert.deepEqual(page.consoleErrors, []);
        assert.deepEqual(page.foreignRequests, []);
        const { plan } = loadExample(stack);
        const cidrs = [
          plan.vpcCidr,
          plan.podPool.cidr,
          plan.serviceCidr,
          ...plan.availabilityZones.flatMap((zone) => [
            zone.slotCidr,
            zone.privateSubnet.cidr,
            zone.publicSubnet.cidr,
          ]),
          ...plan.reservedRanges.map((range) => range.cidr),
        ];
        for (const cidr of cidrs) assert.ok(page.text.includes(cidr), `${cidr} not in page text`);
        // Only payments-prod has a neighbour that collides with it: the broken stack.
        const collisions = await page.count(".collision");
        if (stack === "payments-prod") assert.ok(collisions >= 1);
        else assert.equal(collisions, 0);
        assert.ok((await page.count("svg")) >= 3);
        // The README's pictures (docs/map-*.png) are these, copied.
        if (stack === "payments-prod") await page.shoot("#vpc .strip", "payments-prod-vpc");
      } finally {
        await page.close();
      }
    });
  }

  it("index: one view per routing domain, every stack linked, the collision drawn", async () => {
    const page = await visit("index.html");
    try {
      assert.deepEqual(page.consoleErrors, []);
      assert.deepEqual(page.foreignRequests, []);
      assert.equal(await page.count("section.domain[data-domain=corp]"), 1);
      for (const stack of [...exampleStacks, "broken", "invalid"]) {
        assert.equal(await page.count(`a[href="${stack}.html"]`), 1, stack);
      }
      for (const stack of exampleStacks) {
        assert.ok(page.text.includes(loadExample(stack).plan.vpcCidr));
      }
      // The broken stack collides with payments-prod in corp: drawn red, and the finding printed.
      assert.ok((await page.count("section.domain .collision")) >= 1);
      assert.match(page.text, /routing-domain-overlap/);
      await page.shoot(
        'section.domain[data-domain=corp] section.space[data-space="10.0.0.0/8"] .strip',
        "corp-10.0.0.0-8",
      );
    } finally {
      await page.close();
    }
  });

  it("broken stack: shows its overlap with the neighbour and its short pool", async () => {
    const page = await visit("broken.html");
    try {
      assert.deepEqual(page.consoleErrors, []);
      assert.deepEqual(page.foreignRequests, []);
      assert.match(page.text, /REFUSED/);
      assert.ok(page.text.includes(brokenVpc));
      assert.ok(page.text.includes("10.20.0.0/16"), "the neighbour's VPC it overlaps");
      assert.ok((await page.count(".collision")) >= 1);
      assert.ok((await page.count('.range.collides[data-cidr="10.20.0.0/16"]')) >= 1);
      assert.ok((await page.count(`.range.collides[data-cidr="${brokenVpc}"]`)) >= 1);
      // The finding sits on the VPC it concerns, with its code and text.
      assert.equal(await page.count('#vpc ul.findings li[data-code="routing-domain-overlap"]'), 1);
      assert.equal(
        await page.count('#pod-pool ul.findings li[data-code="pool-too-small-for-nodes"]'),
        1,
      );
      assert.ok((await page.count("rect.block.missing")) >= 1);
    } finally {
      await page.close();
    }
  });

  it("invalid stack: names the key and value instead of drawing a plan", async () => {
    const page = await visit("invalid.html");
    try {
      assert.deepEqual(page.consoleErrors, []);
      assert.match(page.text, /calico-cluster:vpcCidr/);
      assert.match(page.text, /host bits set/);
    } finally {
      await page.close();
    }
  });
});
