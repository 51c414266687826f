/**
 * The pack on stacks it did not write: every policy of the pack, called directly
 * and over the Analyzer protocol, against the corpus of foreign stacks in
 * test/support/foreignStacks.ts, in update and preview form. Each stack must get
 * exactly its verdict; a policy added to the pack later runs here too, so it
 * must stay silent on the clean ones.
 */
import assert from "node:assert/strict";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type AnalyzerResourceInput,
  type PolicyPackProcess,
  startPolicyPack,
} from "../lib/analyzer/client";
import { policies } from "../policy/policies";
import { foreignStacks } from "./support/foreignStacks";
import { type Mode, project, runPolicy, stack } from "./support/policyResources";

const modes: readonly Mode[] = ["update", "preview"];

interface Seen {
  readonly policy: string;
  readonly code: string;
  readonly message: string;
}

const codeOf = (message: string) => /\[([a-z0-9-]+)\]/.exec(message)?.[1] ?? "(no code)";

/** Every policy's violations, through its validator as @pulumi/policy's server calls it. */
async function direct(inputs: readonly AnalyzerResourceInput[]): Promise<Seen[]> {
  const seen: Seen[] = [];
  for (const policy of policies) {
    await runPolicy(policy, inputs, {}, (message) =>
      seen.push({ policy: policy.name, code: codeOf(message), message }),
    );
  }
  return seen;
}

function assertVerdict(
  seen: readonly Seen[],
  corpus: (typeof foreignStacks)[number],
  mode: Mode,
): void {
  const verdict = seen.map((s) => [s.policy, s.code]).sort();
  assert.deepEqual(
    verdict,
    [...corpus.verdict].map((v) => [...v]).sort(),
    `${corpus.name} (${mode}): ${corpus.description}\n${seen.map((s) => s.message).join("\n")}`,
  );
  const expected = corpus.messageIncludes?.[mode];
  for (const s of seen) {
    if (expected !== undefined) assert.ok(s.message.includes(expected), s.message);
    assert.doesNotMatch(s.message, /undefined|NaN|\[object /, s.message);
  }
}

describe("every policy, called directly, on foreign stacks", () => {
  for (const corpus of foreignStacks) {
    for (const mode of modes) {
      it(`${corpus.name} (${mode})`, async () => {
        assertVerdict(await direct(corpus.build(mode)), corpus, mode);
      });
    }
  }
});

describe("the pack over the Analyzer protocol, on foreign stacks", () => {
  let pack: PolicyPackProcess;
  before(async () => {
    ({ pack } = await startPolicyPack({
      packDir: path.join(__dirname, "..", "policy"),
      stack: { project, stack, dryRun: true },
    }));
  });
  after(async () => {
    await pack?.close();
  });

  it("runs every policy of the pack", async () => {
    const { diagnostics } = await pack.analyzeStack(foreignStacks[0].build("update"));
    assert.deepEqual(diagnostics, []);
  });

  for (const corpus of foreignStacks) {
    for (const mode of modes) {
      it(`${corpus.name} (${mode})`, async () => {
        const { diagnostics } = await pack.analyzeStack(corpus.build(mode));
        assertVerdict(
          diagnostics.map((d) => ({
            policy: d.policyName,
            code: codeOf(d.message),
            message: d.message,
          })),
          corpus,
          mode,
        );
      });
    }
  }
});
