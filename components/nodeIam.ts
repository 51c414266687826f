/**
 * IAM roles and instance profiles for masters and workers, least privilege:
 * what Calico's Felix needs to turn off its instance's source/destination check
 * (`awsSrcDstCheck: Disable`, so unencapsulated same-subnet pod traffic is not
 * dropped), pulling images from ECR, SSM Session Manager instead of SSH, a
 * node reporting itself unhealthy when its bootstrap fails, and (masters only)
 * reading and setting the cluster's init marker.
 * The AWS cloud provider's permissions are out of scope.
 *
 * Policy documents are plain JSON built here, not `aws.iam.getPolicyDocument`:
 * an invoke would need credentials and would not run under preview mocks.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { displayName, logicalName } from "../lib/naming";
import { masterPolicies } from "../lib/addons/addonIam";

export type NodeRole = "master" | "worker";

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: string | readonly string[];
  /** Absent in trust policies, where IAM refuses it. */
  readonly Resource?: string | readonly string[];
  readonly Principal?: Record<string, string>;
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface PolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly PolicyStatement[];
}

/** The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`). */
export function awsPartition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** Trust policy: only EC2 instances may assume the role. */
export function ec2AssumeRolePolicy(region: string): PolicyDocument {
  // The China partition names its service principals with the .cn domain.
  const service = awsPartition(region) === "aws-cn" ? "ec2.amazonaws.com.cn" : "ec2.amazonaws.com";
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "Ec2AssumeRole",
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
      },
    ],
  };
}

/**
 * What Felix calls (felix/aws): DescribeInstances to find its primary network
 * interface, then ModifyNetworkInterfaceAttribute on it. The first cannot be
 * scoped to resources, so it is held to the cluster's region; the second only
 * touches interfaces in the cluster's VPC.
 */
export function calicoNodePolicy(region: string, vpcId: string): PolicyDocument {
  const partition = awsPartition(region);
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CalicoFindOwnInterface",
        Effect: "Allow",
        Action: ["ec2:DescribeInstances"],
        Resource: "*",
        Condition: { StringEquals: { "aws:RequestedRegion": region } },
      },
      {
        Sid: "CalicoSourceDestCheck",
        Effect: "Allow",
        Action: ["ec2:ModifyNetworkInterfaceAttribute"],
        Resource: `arn:${partition}:ec2:${region}:*:network-interface/*`,
        Condition: { ArnLike: { "ec2:Vpc": `arn:${partition}:ec2:${region}:*:vpc/${vpcId}` } },
      },
    ],
  };
}

/**
 * What the bootstrap calls on AWS: SetInstanceHealth on its own group's
 * instances (held to the cluster's groups by their ownership tag) and, for
 * masters, Get/PutParameter on the init marker parameter alone.
 */
export function bootstrapPolicy(
  region: string,
  clusterName: string,
  initMarkerParameterArn: string | undefined,
): PolicyDocument {
  const statements: PolicyStatement[] = [
    {
      Sid: "ReportOwnHealth",
      Effect: "Allow",
      Action: ["autoscaling:SetInstanceHealth"],
      // The groups' names start with the cluster's (namePrefix), and they carry its tag.
      Resource: `arn:${awsPartition(region)}:autoscaling:${region}:*:autoScalingGroup:*:autoScalingGroupName/${clusterName}-*`,
      Condition: {
        StringEquals: { [`autoscaling:ResourceTag/kubernetes.io/cluster/${clusterName}`]: "owned" },
      },
    },
  ];
  if (initMarkerParameterArn !== undefined) {
    statements.push({
      Sid: "ClusterInitMarker",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:PutParameter"],
      Resource: initMarkerParameterArn,
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** AWS managed policies every node gets: ECR pulls and SSM Session Manager. */
export function managedPolicyArns(region: string): Record<string, string> {
  const partition = awsPartition(region);
  return {
    "ecr-read-only": `arn:${partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly`,
    "ssm-core": `arn:${partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
  };
}

export interface NodeIamArgs {
  /** Validated stack config: cluster name (name prefixes) and region (ARNs). Required; no default. */
  readonly config: Pick<ClusterConfig, "clusterName" | "region">;
  /** The cluster VPC's id (`Network.vpcId`); Calico may only modify interfaces in it. Required. */
  readonly vpcId: pulumi.Input<string>;
  /** The init marker's ARN (`ClusterInitMarker.parameterArn`); masters may read and set it. Required. */
  readonly initMarkerParameterArn: pulumi.Input<string>;
}

export interface NodeIdentity {
  readonly roleName: pulumi.Output<string>;
  readonly roleArn: pulumi.Output<string>;
  readonly instanceProfileName: pulumi.Output<string>;
  readonly instanceProfileArn: pulumi.Output<string>;
}

export class NodeIam extends pulumi.ComponentResource {
  readonly master: NodeIdentity;
  readonly worker: NodeIdentity;

  constructor(name: string, args: NodeIamArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:iam:NodeIam", name, {}, opts);
    const { clusterName, region } = args.config;
    const identity = (role: NodeRole): NodeIdentity => {
      // IAM names are account-wide: a prefix keeps same-named clusters in two regions apart.
      const namePrefix = `${displayName(clusterName, role)}-`;
      const iamRole = new aws.iam.Role(
        role,
        {
          namePrefix,
          description: `Kubernetes ${role} nodes of ${clusterName}`,
          assumeRolePolicy: JSON.stringify(ec2AssumeRolePolicy(region)),
          tags: { Name: displayName(clusterName, role) },
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        logicalName(role, "calico"),
        {
          role: iamRole.name,
          name: "calico-source-dest-check",
          policy: pulumi
            .output(args.vpcId)
            .apply((vpcId) => JSON.stringify(calicoNodePolicy(region, vpcId))),
        },
        { parent: this },
      );
      new aws.iam.RolePolicy(
        logicalName(role, "bootstrap"),
        {
          role: iamRole.name,
          name: "node-bootstrap",
          policy: pulumi
            .output(args.initMarkerParameterArn)
            .apply((arn) =>
              JSON.stringify(
                bootstrapPolicy(region, clusterName, role === "master" ? arn : undefined),
              ),
            ),
        },
        { parent: this },
      );
      for (const [key, policyArn] of Object.entries(managedPolicyArns(region))) {
        new aws.iam.RolePolicyAttachment(
          logicalName(role, key),
          { role: iamRole.name, policyArn },
          { parent: this },
        );
      }
      for (const policy of role === "master" ? masterPolicies(region, clusterName) : []) {
        new aws.iam.RolePolicy(
          logicalName(role, policy.key),
          { role: iamRole.name, name: policy.name, policy: JSON.stringify(policy.document) },
          { parent: this },
        );
      }
      const profile = new aws.iam.InstanceProfile(
        role,
        { namePrefix, role: iamRole.name, tags: { Name: displayName(clusterName, role) } },
        { parent: this },
      );
      return {
        roleName: iamRole.name,
        roleArn: iamRole.arn,
        instanceProfileName: profile.name,
        instanceProfileArn: profile.arn,
      };
    };
    this.master = identity("master");
    this.worker = identity("worker");
    this.registerOutputs({ master: this.master, worker: this.worker });
  }
}

/**
 * The cluster's secret store as IAM names it. Every ARN is exact: no statement
 * below has a `*` resource, and every KMS grant is held to one service and one
 * stored item by its encryption context.
 */
export interface SecretStoreArns {
  readonly region: string;
  readonly kmsKeyArn: string;
  /** The Secrets Manager secret, with the random suffix AWS appends to its name. */
  readonly pkiSecretArn: string;
  readonly joinTokenParameterArn: string;
}

/** The account id of an ARN (`arn:aws:iam::123456789012:role/x` → `123456789012`). */
export function arnAccount(arn: string): string {
  return arn.split(":")[4] ?? "";
}

/**
 * ARN of an SSM parameter. A hierarchical name's leading slash is not repeated:
 * `/a/b` is `...:parameter/a/b`. This is also the `PARAMETER_ARN` encryption
 * context Parameter Store passes to KMS.
 */
export function ssmParameterArn(region: string, accountId: string, name: string): string {
  const path = name.startsWith("/") ? name : `/${name}`;
  return `arn:${awsPartition(region)}:ssm:${region}:${accountId}:parameter${path}`;
}

/** The `kms:ViaService` value of a service's calls in a region (China uses .com.cn). */
export function kmsViaService(service: "secretsmanager" | "ssm", region: string): string {
  const suffix = awsPartition(region) === "aws-cn" ? "amazonaws.com.cn" : "amazonaws.com";
  return `${service}.${region}.${suffix}`;
}

/** kms:Decrypt (and Encrypt) of the join token only: through SSM, for that parameter. */
function joinTokenKeyStatement(
  store: SecretStoreArns,
  sid: string,
  actions: readonly string[],
): PolicyStatement {
  return {
    Sid: sid,
    Effect: "Allow",
    Action: actions,
    Resource: store.kmsKeyArn,
    Condition: {
      StringEquals: {
        "kms:ViaService": kmsViaService("ssm", store.region),
        "kms:EncryptionContext:PARAMETER_ARN": store.joinTokenParameterArn,
      },
    },
  };
}

/**
 * Masters: read the PKI secret, read and rewrite the join token (the rotation
 * timer), and use the cluster key for exactly those two items. Secrets Manager
 * decrypts with the encryption context `SecretARN`, Parameter Store with
 * `PARAMETER_ARN`; standard SecureString parameters are encrypted with
 * kms:Encrypt directly (no data key).
 */
export function masterSecretsPolicy(store: SecretStoreArns): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadControlPlanePki",
        Effect: "Allow",
        Action: ["secretsmanager:GetSecretValue"],
        Resource: store.pkiSecretArn,
      },
      {
        Sid: "DecryptControlPlanePki",
        Effect: "Allow",
        Action: ["kms:Decrypt"],
        Resource: store.kmsKeyArn,
        Condition: {
          StringEquals: {
            "kms:ViaService": kmsViaService("secretsmanager", store.region),
            "kms:EncryptionContext:SecretARN": store.pkiSecretArn,
          },
        },
      },
      {
        Sid: "ReadAndRotateJoinToken",
        Effect: "Allow",
        Action: ["ssm:GetParameter", "ssm:PutParameter"],
        Resource: store.joinTokenParameterArn,
      },
      joinTokenKeyStatement(store, "UseKeyForJoinToken", ["kms:Decrypt", "kms:Encrypt"]),
    ],
  };
}

/** Workers: read the join token, decrypt it, nothing else of the store. */
export function workerSecretsPolicy(store: SecretStoreArns): PolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ReadJoinToken",
        Effect: "Allow",
        Action: ["ssm:GetParameter"],
        Resource: store.joinTokenParameterArn,
      },
      joinTokenKeyStatement(store, "DecryptJoinToken", ["kms:Decrypt"]),
    ],
  };
}
