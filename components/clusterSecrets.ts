/**
 * The cluster's secret store: a KMS key of its own, the control-plane PKI in
 * one Secrets Manager secret only the master role can read, and the join token
 * in one SSM SecureString parameter the masters rewrite and every node reads.
 * User data then carries only these names (lib/nodes/secretStore.ts).
 *
 * Privacy comes from the key, not from SSM: both node roles carry
 * AmazonSSMManagedInstanceCore, which allows ssm:GetParameter on every
 * parameter, so a SecureString under the account's aws/ssm key would be
 * readable by every instance. The key policy denies workers every use but
 * decrypting the join token, and the PKI secret's resource policy denies them
 * the secret, whatever else is ever attached to their role.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { displayName } from "../lib/naming";
import { encodePkiBundle } from "../lib/nodes/pkiBundle";
import { type SecretStoreNames, secretStoreNamesFor } from "../lib/nodes/secretStore";
import type { ControlPlaneSecrets } from "../lib/nodes/cloudInit";
import {
  arnAccount,
  awsPartition,
  type NodeIdentity,
  masterSecretsPolicy,
  type PolicyDocument,
  ssmParameterArn,
  workerSecretsPolicy,
} from "./nodeIam";

/** What a worker needs of the store: no key ARN, it never writes. */
export type WorkerStoreNames = Omit<SecretStoreNames, "kmsKeyArn">;

export interface ClusterSecretsArgs {
  /** Validated stack config: the cluster name names the store, the region its ARNs. Required. */
  readonly config: Pick<ClusterConfig, "clusterName" | "region">;
  /** The shared CAs and keys (`ClusterPki.controlPlaneSecrets`). Required; a secret. */
  readonly controlPlaneSecrets: pulumi.Input<ControlPlaneSecrets>;
  /** The first join token (`ClusterPki.bootstrapToken`); later values come from the masters. Required. */
  readonly bootstrapToken: pulumi.Input<string>;
  /** The master role (`NodeIam.master`): reads the PKI, reads and writes the token. Required. */
  readonly master: Pick<NodeIdentity, "roleName" | "roleArn">;
  /** The worker role (`NodeIam.worker`): reads the token only. Required. */
  readonly worker: Pick<NodeIdentity, "roleName" | "roleArn">;
}

/**
 * The key policy. Key policies must name the key as `Resource: "*"` (it means
 * "this key", never every key). The account statement keeps the key manageable
 * through IAM, as AWS's default policy does; the two denials hold whatever IAM
 * policy a worker is ever given.
 */
export function clusterKeyPolicy(options: {
  readonly region: string;
  readonly accountId: string;
  readonly workerRoleArn: string;
  readonly joinTokenParameterArn: string;
}): PolicyDocument {
  const partition = awsPartition(options.region);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountManagesKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${partition}:iam::${options.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      {
        Sid: "WorkersDecryptOnlyTheJoinToken",
        Effect: "Deny",
        Principal: { AWS: options.workerRoleArn },
        Action: ["kms:Decrypt"],
        Resource: "*",
        // A negated operator also matches a request without the context key.
        Condition: {
          StringNotEquals: { "kms:EncryptionContext:PARAMETER_ARN": options.joinTokenParameterArn },
        },
      },
      {
        Sid: "WorkersNeverEncrypt",
        Effect: "Deny",
        Principal: { AWS: options.workerRoleArn },
        Action: [
          "kms:Encrypt",
          "kms:GenerateDataKey",
          "kms:GenerateDataKeyWithoutPlaintext",
          "kms:ReEncryptFrom",
          "kms:ReEncryptTo",
          "kms:CreateGrant",
        ],
        Resource: "*",
      },
    ],
  };
}

/** The PKI secret's resource policy: workers are denied it outright. */
export function pkiSecretPolicy(secretArn: string, workerRoleArn: string): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "WorkersNeverReadThePki",
        Effect: "Deny",
        Principal: { AWS: workerRoleArn },
        Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
        Resource: secretArn,
      },
    ],
  };
}

export class ClusterSecrets extends pulumi.ComponentResource {
  /** What masters' user data names; resolves once the store and the grants exist. */
  readonly masterStore: pulumi.Output<SecretStoreNames>;
  /** What workers' user data names; resolves once the store and the grants exist. */
  readonly workerStore: pulumi.Output<WorkerStoreNames>;
  readonly kmsKeyArn: pulumi.Output<string>;
  readonly pkiSecretArn: pulumi.Output<string>;
  readonly joinTokenParameterArn: pulumi.Output<string>;

  constructor(name: string, args: ClusterSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:secrets:ClusterSecrets", name, {}, opts);
    const { clusterName, region } = args.config;
    const names = secretStoreNamesFor(clusterName);
    const accountId = pulumi.output(args.master.roleArn).apply(arnAccount);
    // Built from the name, not read from the parameter: the key policy needs it
    // before the parameter (which needs the key) can exist.
    this.joinTokenParameterArn = accountId.apply((account) =>
      ssmParameterArn(region, account, names.joinTokenParameterName),
    );

    const key = new aws.kms.Key(
      "secrets",
      {
        description: `Secrets of Kubernetes cluster ${clusterName}: control-plane PKI and join token`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy: pulumi
          .all([accountId, args.worker.roleArn, this.joinTokenParameterArn])
          .apply(([account, workerRoleArn, joinTokenParameterArn]) =>
            JSON.stringify(
              clusterKeyPolicy({
                region,
                accountId: account,
                workerRoleArn,
                joinTokenParameterArn,
              }),
            ),
          ),
        tags: { Name: displayName(clusterName, "secrets") },
      },
      { parent: this },
    );
    new aws.kms.Alias(
      "secrets",
      { name: `alias/calico-cluster/${clusterName}`, targetKeyId: key.keyId },
      { parent: this },
    );
    this.kmsKeyArn = key.arn;

    const pkiSecret = new aws.secretsmanager.Secret(
      "control-plane-pki",
      {
        name: names.pkiSecretName,
        description: `kubeadm CAs and service-account key of ${clusterName}; read by its masters at boot`,
        kmsKeyId: key.arn,
        // The Pulumi state keeps the PKI; waiting 30 days would only block a re-create.
        recoveryWindowInDays: 0,
        tags: { Name: displayName(clusterName, "control-plane-pki") },
      },
      { parent: this },
    );
    this.pkiSecretArn = pkiSecret.arn;
    const pkiVersion = new aws.secretsmanager.SecretVersion(
      "control-plane-pki",
      {
        secretId: pkiSecret.id,
        secretString: pulumi.secret(pulumi.output(args.controlPlaneSecrets).apply(encodePkiBundle)),
      },
      { parent: this, additionalSecretOutputs: ["secretString"] },
    );
    const pkiPolicy = new aws.secretsmanager.SecretPolicy(
      "control-plane-pki",
      {
        secretArn: pkiSecret.arn,
        blockPublicPolicy: true,
        policy: pulumi
          .all([pkiSecret.arn, args.worker.roleArn])
          .apply(([arn, workerRoleArn]) => JSON.stringify(pkiSecretPolicy(arn, workerRoleArn))),
      },
      { parent: this },
    );

    const joinToken = new aws.ssm.Parameter(
      "join-token",
      {
        name: names.joinTokenParameterName,
        description: `Current kubeadm join token of ${clusterName}; masters replace it before it expires`,
        type: "SecureString",
        tier: "Standard",
        keyId: key.arn,
        value: pulumi.secret(args.bootstrapToken),
        tags: { Name: displayName(clusterName, "join-token") },
      },
      // Only the first value is the program's: the masters rotate it, and an
      // update must never put an old (maybe expired) token back.
      { parent: this, ignoreChanges: ["value"], additionalSecretOutputs: ["value"] },
    );

    const store = pulumi
      .all([key.arn, pkiSecret.arn, this.joinTokenParameterArn])
      .apply(([kmsKeyArn, pkiSecretArn, joinTokenParameterArn]) => ({
        region,
        kmsKeyArn,
        pkiSecretArn,
        joinTokenParameterArn,
      }));
    const masterGrant = new aws.iam.RolePolicy(
      "master-secrets",
      {
        role: args.master.roleName,
        name: "cluster-secrets",
        policy: store.apply((arns) => JSON.stringify(masterSecretsPolicy(arns))),
      },
      { parent: this },
    );
    const workerGrant = new aws.iam.RolePolicy(
      "worker-secrets",
      {
        role: args.worker.roleName,
        name: "cluster-join-token",
        policy: store.apply((arns) => JSON.stringify(workerSecretsPolicy(arns))),
      },
      { parent: this },
    );

    // Resolving only after the values and grants exist orders every launch
    // template that names the store after them: the store is written first.
    this.workerStore = pulumi
      .all([joinToken.name, pkiVersion.id, workerGrant.id])
      .apply(([joinTokenParameterName]): WorkerStoreNames => ({
        region,
        pkiSecretName: names.pkiSecretName,
        joinTokenParameterName,
      }));
    this.masterStore = pulumi
      .all([this.workerStore, key.arn, pkiPolicy.id, masterGrant.id])
      .apply(([worker, kmsKeyArn]): SecretStoreNames => ({ ...worker, kmsKeyArn }));

    this.registerOutputs({
      kmsKeyArn: this.kmsKeyArn,
      pkiSecretArn: this.pkiSecretArn,
      joinTokenParameterArn: this.joinTokenParameterArn,
    });
  }
}
