/**
 * `--shard K/N` and the terminal progress line, as pure functions: every stack
 * in exactly one shard, stable, spread; the reporting shard of a finding; the
 * progress line drawn only on a terminal and erased at the end.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Progress, progressLine } from "../lib/check/progress";
import { parseShard, reportingShard, shardOf, shardStacks } from "../lib/check/shard";

const names = Array.from({ length: 300 }, (_, i) => `team-${i}-prod`);

describe("--shard", () => {
  it("puts every stack in exactly one shard, the same one every time, and spreads them", () => {
    for (const count of [1, 2, 3, 8]) {
      const shards = Array.from({ length: count }, (_, i) =>
        shardStacks(names, { index: i + 1, count }),
      );
      assert.deepEqual(shards.flat().sort(), [...names].sort());
      for (const shard of shards)
        assert.ok(shard.length > (names.length / count) * 0.6, `${count}`);
      assert.deepEqual(
        names.map((name) => shardOf(name, count)),
        names.map((name) => shardOf(name, count)),
      );
    }
    // Pinned: a stack's shard must not change between releases.
    assert.deepEqual(
      ["alpha", "epsilon", "payments-prod"].map((name) => shardOf(name, 3)),
      [3, 2, 1],
    );
  });

  it("reports a finding in the shard of the first selected stack it names", () => {
    const selected = new Set(["alpha", "epsilon"]);
    assert.equal(reportingShard(["epsilon", "alpha"], selected, 3), shardOf("alpha", 3));
    assert.equal(reportingShard(["zzz", "epsilon"], selected, 3), shardOf("epsilon", 3));
    assert.equal(reportingShard(["zzz"], selected, 3), undefined);
  });

  it("accepts K/N with 1 <= K <= N <= 256 and names the value otherwise", () => {
    assert.deepEqual(parseShard("2/4"), { ok: true, shard: { index: 2, count: 4 } });
    for (const bad of ["0/4", "5/4", "1/0", "1/257", "2", "a/b", "-1/2"]) {
      const parsed = parseShard(bad);
      assert.equal(parsed.ok, false, bad);
      if (!parsed.ok) assert.ok(parsed.message.includes(JSON.stringify(bad)), parsed.message);
    }
  });
});

describe("progress", () => {
  it("draws done/total and elapsed on a terminal, and erases it at the end", () => {
    let clock = 1_000;
    const written: string[] = [];
    const progress = new Progress(
      { isTTY: true, write: (text) => written.push(text) },
      () => clock,
    );
    progress.update(0, 200);
    clock += 34_500;
    progress.update(12, 200);
    progress.finish();
    assert.deepEqual(written, [
      "\r\x1b[2Kcheck: 0/200 stacks, 0 s",
      "\r\x1b[2Kcheck: 12/200 stacks, 34 s",
      "\r\x1b[2K",
    ]);
    assert.equal(progressLine(3, 4, 125_000), "check: 3/4 stacks, 2 min 5 s");
  });

  it("writes nothing when stderr is not a terminal", () => {
    const written: string[] = [];
    const progress = new Progress({ isTTY: false, write: (text) => written.push(text) });
    progress.update(1, 2);
    progress.finish();
    assert.deepEqual(written, []);
  });
});
