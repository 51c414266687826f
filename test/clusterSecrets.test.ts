/**
 * The secret store under the mock engine, every example stack, preview and
 * update: the PKI and the join token sit in store resources as Pulumi secrets
 * under the cluster's own key; no launch template's decoded user data holds a
 * key or a token, and every one is ordered after the store; and the IAM and key
 * policies, evaluated as AWS does for these statements, let masters read both
 * items and workers only the token, neither by IAM nor by KMS the PKI.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { RecordedResource } from "../lib/harness/mockEngine";
import { decodePkiBundle } from "../lib/nodes/pkiBundle";
import type { PolicyDocument, PolicyStatement } from "../components/nodeIam";
import { findUserDataSecrets } from "../policy/rules/userDataSecrets";
import { isWireSecret, mockAccountId, mockPrivateKeyPem } from "./support/clusterMocks";
import {
  declareNodes,
  launchTemplateType,
  type NodeScenario,
  urnName,
} from "./support/nodeScenario";
import { exampleStacks } from "./support/stacks";
import { decodeWireUserData } from "./support/userData";

const T = {
  key: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
  version: "aws:secretsmanager/secretVersion:SecretVersion",
  secretPolicy: "aws:secretsmanager/secretPolicy:SecretPolicy",
  parameter: "aws:ssm/parameter:Parameter",
  rolePolicy: "aws:iam/rolePolicy:RolePolicy",
};

const asList = (value: string | readonly string[] | undefined) =>
  value === undefined ? [] : typeof value === "string" ? [value] : [...value];

interface Request {
  readonly principal: "master" | "worker";
  readonly action: string;
  readonly resource: string;
  readonly context: Readonly<Record<string, string>>;
}

/** StringEquals / StringNotEquals as IAM evaluates them (a missing key fails Equals, passes NotEquals). */
function conditionHolds(statement: PolicyStatement, request: Request): boolean {
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(keys)) {
      const actual = request.context[key];
      const matches = actual !== undefined && asList(expected).includes(actual);
      if (operator === "StringEquals" && !matches) return false;
      if (operator === "StringNotEquals" && matches) return false;
      if (operator !== "StringEquals" && operator !== "StringNotEquals") {
        throw new Error(`evaluator does not know ${operator}`);
      }
    }
  }
  return true;
}

const actionMatches = (statement: PolicyStatement, action: string) =>
  asList(statement.Action).some(
    (a) => a === action || (a.endsWith(":*") && action.startsWith(a.slice(0, -1))),
  );

/** Explicit deny wins; else an allow in the identity policy. The key policy's account statement delegates to IAM. */
function allowed(
  request: Request,
  identity: PolicyDocument,
  resourcePolicies: readonly { document: PolicyDocument; principals: Record<string, string> }[],
): boolean {
  for (const { document, principals } of resourcePolicies) {
    for (const statement of document.Statement) {
      const principal = statement.Principal?.AWS;
      if (statement.Effect !== "Deny" || principal !== principals[request.principal]) continue;
      if (actionMatches(statement, request.action) && conditionHolds(statement, request))
        return false;
    }
  }
  return identity.Statement.some(
    (statement) =>
      statement.Effect === "Allow" &&
      actionMatches(statement, request.action) &&
      asList(statement.Resource).includes(request.resource) &&
      conditionHolds(statement, request),
  );
}

for (const stack of exampleStacks) {
  for (const preview of [true, false]) {
    describe(`ClusterSecrets, ${stack}, ${preview ? "preview" : "update"}`, () => {
      let scenario: NodeScenario;
      const one = (type: string): RecordedResource => {
        const found = scenario.resources.filter(
          (r) => r.type === type && r.parent.endsWith("::secrets"),
        );
        assert.equal(found.length, 1, type);
        return found[0];
      };
      const dependsOn = (resource: RecordedResource, property: string, type: string) =>
        (resource.propertyDependencies[property] ?? []).some(
          (urn) => urn.includes(`::${type}::`) || urn.includes(`$${type}::`),
        );
      before(async () => {
        scenario = await declareNodes(stack, preview);
      });

      test("one KMS key per cluster, rotated, encrypts both stored items", () => {
        const key = one(T.key);
        assert.equal(key.inputs.enableKeyRotation, true);
        assert.ok(dependsOn(one(T.secret), "kmsKeyId", T.key));
        assert.ok(dependsOn(one(T.parameter), "keyId", T.key));
        assert.equal(one(T.parameter).inputs.type, "SecureString");
        assert.equal(
          one(T.secret).inputs.name,
          `calico-cluster/${scenario.config.clusterName}/control-plane-pki`,
        );
        assert.equal(
          one(T.parameter).inputs.name,
          `/calico-cluster/${scenario.config.clusterName}/join-token`,
        );
      });

      test("the PKI and the token are Pulumi secrets; the program never rolls the token back", () => {
        const version = one(T.version);
        const parameter = one(T.parameter);
        assert.deepEqual(parameter.ignoreChanges, ["value"]);
        if (preview) return;
        assert.ok(isWireSecret(version.wireInputs.secretString), "PKI bundle is plain");
        assert.ok(isWireSecret(parameter.wireInputs.value), "token is plain");
        const bundle = decodePkiBundle(
          String((version.wireInputs.secretString as { value: string }).value),
        );
        assert.equal(bundle["ca.key"], mockPrivateKeyPem("pki-cluster-ca-key"));
        assert.equal(bundle["sa.key"], mockPrivateKeyPem("pki-service-account-key"));
        assert.match(
          String((parameter.wireInputs.value as { value: string }).value),
          /^[a-z0-9]{6}\.[a-z0-9]{16}$/,
        );
      });

      test("no launch template's decoded user data holds a key or a token, and each waits for the store", async () => {
        const token = preview
          ? undefined
          : await new Promise<string>((resolve) => scenario.pki.bootstrapToken.apply(resolve));
        const templates = scenario.resources.filter((r) => r.type === launchTemplateType);
        assert.ok(templates.length > scenario.plan.availabilityZones.length);
        for (const template of templates) {
          const after = (template.propertyDependencies.userData ?? []).map(urnName);
          for (const name of ["control-plane-pki", "join-token"])
            assert.ok(after.includes(name), `${template.name} ${name}`);
          assert.ok(
            after.includes(
              template.name.startsWith("master-") ? "master-secrets" : "worker-secrets",
            ),
          );
          if (preview) continue;
          const text = decodeWireUserData(template.wireInputs.userData);
          assert.deepEqual(findUserDataSecrets(text), [], template.name);
          assert.ok(token && !text.includes(token), template.name);
        }
      });

      if (preview) return;

      test("IAM per role: masters read the PKI and read/write the token; workers only read the token; no * resource", () => {
        const policies = scenario.resources.filter(
          (r) => r.type === T.rolePolicy && r.parent.endsWith("::secrets"),
        );
        const doc = (name: string) =>
          JSON.parse(
            String(policies.find((p) => p.name === name)?.inputs.policy),
          ) as PolicyDocument;
        const master = doc("master-secrets");
        const worker = doc("worker-secrets");
        for (const document of [master, worker]) {
          for (const statement of document.Statement) {
            assert.ok(!asList(statement.Resource).includes("*"), statement.Sid);
            assert.ok(!asList(statement.Resource).some((r) => r.endsWith(":*")), statement.Sid);
            for (const action of asList(statement.Action)) assert.doesNotMatch(action, /\*/);
          }
        }
        const actions = (document: PolicyDocument) =>
          document.Statement.flatMap((s) => asList(s.Action)).sort();
        assert.deepEqual(actions(worker), ["kms:Decrypt", "ssm:GetParameter"]);
        assert.deepEqual(actions(master), [
          "kms:Decrypt",
          "kms:Decrypt",
          "kms:Encrypt",
          "secretsmanager:GetSecretValue",
          "ssm:GetParameter",
          "ssm:PutParameter",
        ]);

        const keyPolicy = JSON.parse(String(one(T.key).inputs.policy)) as PolicyDocument;
        const secretPolicy = JSON.parse(
          String(one(T.secretPolicy).inputs.policy),
        ) as PolicyDocument;
        const roleArn = (name: string) => `arn:aws:iam::${mockAccountId}:role/${name}-mock`;
        const principals = { master: roleArn("master"), worker: roleArn("worker") };
        const region = scenario.config.region;
        const secretArn = String(one(T.secretPolicy).inputs.secretArn);
        const parameterArn = `arn:aws:ssm:${region}:${mockAccountId}:parameter/calico-cluster/${scenario.config.clusterName}/join-token`;
        const keyArn = String(one(T.secret).inputs.kmsKeyId);
        const pkiContext = {
          "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
          "kms:EncryptionContext:SecretARN": secretArn,
        };
        const tokenContext = {
          "kms:ViaService": `ssm.${region}.amazonaws.com`,
          "kms:EncryptionContext:PARAMETER_ARN": parameterArn,
        };
        const can = (
          principal: "master" | "worker",
          action: string,
          resource: string,
          context: Record<string, string> = {},
        ) =>
          allowed(
            { principal, action, resource, context },
            principal === "master" ? master : worker,
            [
              { document: keyPolicy, principals },
              { document: secretPolicy, principals },
            ],
          );

        assert.ok(can("master", "secretsmanager:GetSecretValue", secretArn));
        assert.ok(can("master", "kms:Decrypt", keyArn, pkiContext));
        assert.ok(can("master", "ssm:PutParameter", parameterArn));
        assert.ok(can("master", "kms:Encrypt", keyArn, tokenContext));
        assert.ok(can("worker", "ssm:GetParameter", parameterArn));
        assert.ok(can("worker", "kms:Decrypt", keyArn, tokenContext));

        assert.ok(
          !can("worker", "secretsmanager:GetSecretValue", secretArn),
          "worker reads the PKI by IAM",
        );
        assert.ok(
          !can("worker", "kms:Decrypt", keyArn, pkiContext),
          "worker decrypts the PKI by KMS",
        );
        assert.ok(!can("worker", "kms:Decrypt", keyArn), "worker decrypts outside SSM");
        assert.ok(!can("worker", "kms:Encrypt", keyArn, tokenContext), "worker writes the token");
        assert.ok(!can("worker", "ssm:PutParameter", parameterArn), "worker writes the token");
        assert.ok(
          !can("master", "kms:Decrypt", keyArn, {
            ...pkiContext,
            "kms:EncryptionContext:SecretARN": `${secretArn}-other`,
          }),
        );
        // The denials hold even if a worker were granted everything by IAM.
        const everything: PolicyDocument = {
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "All",
              Effect: "Allow",
              Action: ["kms:Decrypt", "secretsmanager:GetSecretValue"],
              Resource: [keyArn, secretArn],
            },
          ],
        };
        const resources = [
          { document: keyPolicy, principals },
          { document: secretPolicy, principals },
        ];
        assert.ok(
          !allowed(
            { principal: "worker", action: "kms:Decrypt", resource: keyArn, context: pkiContext },
            everything,
            resources,
          ),
        );
        assert.ok(
          !allowed(
            {
              principal: "worker",
              action: "secretsmanager:GetSecretValue",
              resource: secretArn,
              context: {},
            },
            everything,
            resources,
          ),
        );
        // The key stays manageable: the account statement is the only Allow in the key policy.
        const keyAllows = keyPolicy.Statement.filter((s) => s.Effect === "Allow");
        assert.deepEqual(
          keyAllows.map((s) => s.Principal?.AWS),
          [`arn:aws:iam::${mockAccountId}:root`],
        );
      });
    });
  }
}
