/**
 * The analysis the pack's stack policies share: reused only for resources equal
 * value by value to the last ones, so a changed property, a changed reference
 * or another stack always gets its own facts, and the policies' verdicts are
 * the same as when each computed its own.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unknownSentinel } from "../lib/analyzer/client";
import { extractFacts } from "../policy/extract/index";
import { analyseStack } from "../policy/extract/stackAnalysis";
import { sameValue, unknown } from "../policy/extract/values";
import { noCidrOverlap } from "../policy/policies";
import {
  asPolicyResources,
  programResources,
  runPolicy,
  withPool,
} from "./support/policyResources";
import { loadExample } from "./support/stacks";

const { plan } = loadExample("payments-prod");

describe("the shared stack analysis", () => {
  it("is reused for an equal stack, deserialised afresh as @pulumi/policy does per policy", () => {
    const inputs = programResources(plan, "preview");
    const first = analyseStack(asPolicyResources(inputs));
    const second = analyseStack(asPolicyResources(structuredClone(inputs)));
    assert.equal(second, first);
    assert.deepEqual(first.facts({ ...defaults() }), extractFacts(asPolicyResources(inputs)));
  });

  it("is new when one nested property, a reference or the resource order differs", () => {
    const inputs = programResources(plan, "preview");
    const base = analyseStack(asPolicyResources(inputs));
    const changed = withPool(inputs, { blockSize: 27 });
    assert.notEqual(analyseStack(asPolicyResources(changed)), base);
    const rebased = analyseStack(asPolicyResources(inputs));
    const noDeps = inputs.map((input) => ({ ...input, propertyDependencies: {} }));
    assert.notEqual(analyseStack(asPolicyResources(noDeps)), rebased);
    const reordered = [...inputs.slice(1), inputs[0]];
    assert.notEqual(
      analyseStack(asPolicyResources(reordered)),
      analyseStack(asPolicyResources(inputs)),
    );
  });

  it("keeps facts apart per settings", () => {
    const analysis = analyseStack(asPolicyResources(programResources(plan, "update")));
    const reserved = { name: "on-prem", cidr: "10.0.0.0/8" };
    const withReserved = analysis.facts({ ...defaults(), reservedRanges: [reserved] });
    assert.equal(withReserved.reservedRanges.length, 1);
    assert.equal(analysis.facts(defaults()).reservedRanges.length, 0);
  });

  it("gives each of two stacks in a row with the same URNs its own verdict", async () => {
    const inputs = programResources(plan, "update");
    const broken = withPool(inputs, { cidr: plan.vpcCidr });
    const verdicts: number[] = [];
    for (const stack of [inputs, broken, inputs, broken]) {
      let count = 0;
      await runPolicy(noCidrOverlap, stack, {}, () => count++);
      verdicts.push(count);
    }
    assert.deepEqual(verdicts, [0, 1, 0, 1]);
    // A policy's own config is part of what its findings depend on.
    const reservedVpc = { reservedRanges: [{ name: "on-prem", cidr: plan.vpcCidr }] };
    const counts: number[] = [];
    for (const config of [reservedVpc, {}, reservedVpc]) {
      let count = 0;
      await runPolicy(noCidrOverlap, inputs, config, () => count++);
      counts.push(count);
    }
    assert.ok(counts[0] > 0);
    assert.deepEqual(counts, [counts[0], 0, counts[0]]);
  });
});

describe("sameValue", () => {
  it("compares copied values deeply, unknown only to unknown", () => {
    assert.ok(sameValue({ a: [1, "x", { b: unknown }] }, { a: [1, "x", { b: unknown }] }));
    assert.ok(!sameValue({ a: [1] }, { a: [1, 2] }));
    assert.ok(!sameValue({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!sameValue({ a: 1, b: null }, { a: 1, c: null }));
    assert.ok(!sameValue({ a: unknown }, { a: unknownSentinel }));
    assert.ok(!sameValue([], {}));
    assert.ok(!sameValue(null, {}));
  });
});

function defaults() {
  return { serviceCidr: "10.96.0.0/12", reservedRanges: [], defaultMaxPods: 110 };
}
