/**
 * Resource sets nobody wrote a test for: every policy, fed program-shaped stacks
 * whose properties are replaced at random paths with arbitrary JSON (wrong types,
 * nulls, unknowns, huge numbers, junk strings), must report or stay silent, never
 * throw. A thrown validator would turn the whole preview into an engine error.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import type { AnalyzerResourceInput } from "../lib/analyzer/client";
import { unknownSentinel } from "../lib/analyzer/client";
import { policies } from "../policy/policies";
import { foreignStacks } from "./support/foreignStacks";
import { type Mode, programResources, runPolicy, types } from "./support/policyResources";
import { exampleStacks, loadExample } from "./support/stacks";

type Json = unknown;

/** User data as launch templates and instances hold it: base64, gzip, MIME, truncated, secret-wrapped. */
const userDataJunk: fc.Arbitrary<Json> = fc
  .tuple(
    fc.string({ maxLength: 200 }),
    fc.constantFrom(
      "",
      "-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n",
      "token: abcdef.0123456789abcdef\n",
      "Content-Type: multipart/mixed; boundary=XX\n\n--XX\nContent-Transfer-Encoding: base64\n\n",
    ),
    fc.constantFrom("plain", "base64", "gzip", "truncated-gzip", "secret"),
  )
  .map(([text, payload, encoding]) => {
    const body = `${payload}${text}`;
    const gz = gzipSync(body);
    switch (encoding) {
      case "base64":
        return Buffer.from(body).toString("base64");
      case "gzip":
        return gz.toString("base64");
      case "truncated-gzip":
        return gz.subarray(0, Math.max(1, gz.length >> 1)).toString("base64");
      case "secret":
        return {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: body,
        };
      default:
        return body;
    }
  });

const junk: fc.Arbitrary<Json> = fc.oneof(
  userDataJunk,
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(unknownSentinel),
  fc.constantFrom("10.0.0.0/8", "0.0.0.0/0", "::/0", "300.1.1.1/8", "", "all()", "None", "-1"),
  fc.constantFrom(1e308, -1, 0, 2 ** 53, Number.MAX_SAFE_INTEGER),
);

/** Replaces the value at a random path inside `value` (or the value itself). */
function corrupt(value: Json, path: readonly number[], replacement: Json): Json {
  if (path.length === 0 || value === null || typeof value !== "object") return replacement;
  const entries = Array.isArray(value)
    ? value.map((v, i) => [String(i), v] as const)
    : Object.entries(value);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[path[0] % entries.length];
  const copy: Record<string, Json> | Json[] = Array.isArray(value) ? [...value] : { ...value };
  (copy as Record<string, Json>)[key] = corrupt(child, path.slice(1), replacement);
  return copy;
}

const base: Record<Mode, AnalyzerResourceInput[]> = {
  preview: programResources(loadExample(exampleStacks[0]).plan, "preview"),
  update: programResources(loadExample(exampleStacks[0]).plan, "update"),
};

async function runAll(resources: readonly AnalyzerResourceInput[], config: object): Promise<void> {
  for (const policy of policies) {
    await runPolicy(policy, resources, config, (message) => assert.equal(typeof message, "string"));
  }
}

describe("policies never throw on unexpected resource shapes", () => {
  it("survives random corruption of program-shaped and foreign stacks", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Mode>("preview", "update"),
        fc.nat(),
        fc.array(
          fc.record({
            target: fc.nat(),
            path: fc.array(fc.nat(), { maxLength: 6 }),
            replacement: junk,
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (mode, which, corruptions) => {
          // The program's stack, or one of the foreign corpus (awsx components, EKS, ...).
          const stacks = [base[mode], ...foreignStacks.map((corpus) => corpus.build(mode))];
          const resources = stacks[which % stacks.length].map((resource) => ({ ...resource }));
          for (const { target, path, replacement } of corruptions) {
            const index = target % resources.length;
            resources[index] = {
              ...resources[index],
              properties: corrupt(resources[index].properties, path, replacement) as Record<
                string,
                unknown
              >,
            };
          }
          await runAll(resources, {});
        },
      ),
      { numRuns: 150 },
    );
  });

  it("survives arbitrary properties on every type it reads, and junk pack config", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            type: fc.constantFrom(
              ...Object.values(types),
              "kubernetes:helm.sh/v4:Chart",
              "kubernetes:operator.tigera.io/v1:Installation",
              "kubernetes:projectcalico.org/v3:IPPool",
              "aws:ec2/vpcIpv4CidrBlockAssociation:VpcIpv4CidrBlockAssociation",
              "aws:ec2/securityGroupRule:SecurityGroupRule",
              "aws:ec2/launchConfiguration:LaunchConfiguration",
              "aws:eks/cluster:Cluster",
              "aws:eks/nodeGroup:NodeGroup",
              "aws:ec2/instance:Instance",
              "awsx:ec2:Vpc",
              "aws:ec2/launchConfiguration:LaunchConfiguration",
            ),
            properties: fc.dictionary(
              fc.constantFrom(
                "cidrBlock",
                "vpcId",
                "values",
                "spec",
                "chart",
                "maxSize",
                "tags",
                "vpcZoneIdentifiers",
                "ingress",
                "securityGroupId",
                "name",
                "id",
                "vpcConfig",
                "kubernetesNetworkConfig",
                "userData",
                "userDataBase64",
                "tagsAll",
                "networkInterfaces",
                "vpcSecurityGroupIds",
                "securityGroups",
              ),
              junk,
            ),
          }),
          { maxLength: 12 },
        ),
        fc.dictionary(fc.constantFrom("reservedRanges", "serviceCidr", "defaultMaxPods"), junk),
        async (specs, config) => {
          // Every other resource is a child of the one before, so parent chains are fuzzed too.
          const resources = specs.map((spec, index) => ({
            type: spec.type,
            name: `r${index}`,
            urn: `urn:pulumi:s::p::${spec.type}::r${index}`,
            properties: spec.properties,
            ...(index % 2 === 1
              ? { parent: `urn:pulumi:s::p::${specs[index - 1].type}::r${index - 1}` }
              : {}),
          }));
          await runAll(resources, config);
        },
      ),
      { numRuns: 150 },
    );
  });
});
