/**
 * Golden stacks: every example stack's resource graph and user data must equal the
 * checked-in data (test/golden/). A difference is either a mistake or a change to
 * review: run `npm run golden:update` and read the diff.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { maskGenerated, readGolden, recordGolden } from "./support/golden";
import { programRuns } from "./support/programRuns";
import { exampleStacks } from "./support/stacks";

describe("golden stacks", () => {
  // Every stack's runs on one pair of warm workers; recordGolden then reads them.
  before(() => programRuns(exampleStacks, ["preview", "update"]));

  for (const stack of exampleStacks) {
    it(`${stack} declares exactly what test/golden/${stack} records`, async () => {
      const recorded = await recordGolden(stack);
      const onDisk = readGolden(stack);
      assert.deepEqual(
        [...recorded.files.keys()].sort(),
        [...onDisk.keys()].sort(),
        `golden files of ${stack} differ: run npm run golden:update and review the diff`,
      );
      for (const [file, content] of recorded.files) {
        assert.equal(
          content,
          onDisk.get(file),
          `test/golden/${file} differs: run npm run golden:update and review the diff`,
        );
      }
    });
  }

  it("masks generated key material but keeps where it sits", () => {
    const text = [
      "key: |",
      "  -----BEGIN EC PRIVATE KEY-----",
      "  MHcCAQEE",
      "  -----END EC PRIVATE KEY-----",
      "hash: sha256:" + "ab".repeat(32),
      "token: abcdef.0123456789abcdef",
    ].join("\n");
    const masked = maskGenerated(text);
    assert.doesNotMatch(masked, /MHcCAQEE|abcdef\.0123/);
    assert.match(masked, /<ec-private-key>/);
    assert.match(masked, /sha256:<ca-hash>/);
    assert.match(masked, /token: <bootstrap-token>/);
  });
});
