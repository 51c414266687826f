/**
 * IAM policy documents of what runs on the masters beyond every node's needs:
 * the AWS cloud controller manager, cluster-autoscaler and the master
 * termination hook handler. `NodeIam` attaches each as its own named policy to
 * the master role only. Plain JSON, pure: no Pulumi imports.
 */

/** One statement; the same shape `NodeIam` writes for its own policies. */
export interface IamStatement {
  readonly Sid: string;
  readonly Effect: "Allow" | "Deny";
  readonly Action: readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, string | readonly string[]>>;
}

export interface IamPolicyDocument {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IamStatement[];
}

/** The condition that limits an action to resources tagged `kubernetes.io/cluster/<name>=owned`. */
function ownedByCluster(clusterName: string) {
  return { StringEquals: { [`aws:ResourceTag/kubernetes.io/cluster/${clusterName}`]: "owned" } };
}

/**
 * The AWS cloud controller manager's documented control-plane policy
 * (kubernetes/cloud-provider-aws docs/prerequisites.md), split by what IAM can
 * scope: reads; creations and listener/target-group changes (new resources carry
 * no tag yet, and the controller does not tag every listener), held to the
 * region; and changes to existing load balancers, security groups, instances
 * and volumes, only on those tagged as the cluster's.
 */
export function cloudControllerPolicy(region: string, clusterName: string): IamPolicyDocument {
  const inRegion = { StringEquals: { "aws:RequestedRegion": region } };
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "CloudControllerRead",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeTags",
          "ec2:DescribeAvailabilityZones",
          "ec2:DescribeInstances",
          "ec2:DescribeInstanceTopology",
          "ec2:DescribeRegions",
          "ec2:DescribeRouteTables",
          "ec2:DescribeSecurityGroups",
          "ec2:DescribeSubnets",
          "ec2:DescribeVolumes",
          "ec2:DescribeVpcs",
          "elasticloadbalancing:DescribeListeners",
          "elasticloadbalancing:DescribeLoadBalancerAttributes",
          "elasticloadbalancing:DescribeLoadBalancerPolicies",
          "elasticloadbalancing:DescribeLoadBalancers",
          "elasticloadbalancing:DescribeTargetGroups",
          "elasticloadbalancing:DescribeTargetHealth",
          "kms:DescribeKey",
        ],
        Resource: "*",
        Condition: inRegion,
      },
      {
        Sid: "CloudControllerCreate",
        Effect: "Allow",
        Action: [
          "ec2:CreateSecurityGroup",
          "ec2:CreateTags",
          "ec2:CreateVolume",
          "elasticloadbalancing:AddTags",
          "elasticloadbalancing:CreateListener",
          "elasticloadbalancing:CreateLoadBalancer",
          "elasticloadbalancing:CreateTargetGroup",
          "elasticloadbalancing:DeleteListener",
          "elasticloadbalancing:DeleteTargetGroup",
          "elasticloadbalancing:DeregisterTargets",
          "elasticloadbalancing:ModifyListener",
          "elasticloadbalancing:ModifyTargetGroup",
          "elasticloadbalancing:RegisterTargets",
        ],
        Resource: "*",
        Condition: inRegion,
      },
      {
        Sid: "CloudControllerChangeOwned",
        Effect: "Allow",
        Action: [
          "ec2:AttachVolume",
          "ec2:AuthorizeSecurityGroupIngress",
          "ec2:CreateRoute",
          "ec2:DeleteRoute",
          "ec2:DeleteSecurityGroup",
          "ec2:DeleteVolume",
          "ec2:DetachVolume",
          "ec2:ModifyInstanceAttribute",
          "ec2:ModifyVolume",
          "ec2:RevokeSecurityGroupIngress",
          "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
          "elasticloadbalancing:AttachLoadBalancerToSubnets",
          "elasticloadbalancing:ConfigureHealthCheck",
          "elasticloadbalancing:CreateLoadBalancerListeners",
          "elasticloadbalancing:CreateLoadBalancerPolicy",
          "elasticloadbalancing:DeleteLoadBalancer",
          "elasticloadbalancing:DeleteLoadBalancerListeners",
          "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
          "elasticloadbalancing:DetachLoadBalancerFromSubnets",
          "elasticloadbalancing:ModifyLoadBalancerAttributes",
          "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
          "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
          "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
        ],
        Resource: "*",
        Condition: ownedByCluster(clusterName),
      },
      {
        Sid: "CloudControllerLoadBalancerServiceRole",
        Effect: "Allow",
        Action: ["iam:CreateServiceLinkedRole"],
        Resource: "*",
        Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
      },
    ],
  };
}

/**
 * cluster-autoscaler's AWS policy (kubernetes/autoscaler cloudprovider/aws
 * README, "Full Cluster Autoscaler Features Policy"): reads everywhere, group
 * size changes only on groups tagged for this cluster's autoscaler, which the
 * masters' groups are not. `eks:DescribeNodegroup` is left out: there are no
 * EKS node groups.
 */
export function clusterAutoscalerPolicy(clusterName: string): IamPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AutoscalerRead",
        Effect: "Allow",
        Action: [
          "autoscaling:DescribeAutoScalingGroups",
          "autoscaling:DescribeAutoScalingInstances",
          "autoscaling:DescribeLaunchConfigurations",
          "autoscaling:DescribeScalingActivities",
          "ec2:DescribeImages",
          "ec2:DescribeInstanceTypes",
          "ec2:DescribeLaunchTemplateVersions",
          "ec2:GetInstanceTypesFromInstanceRequirements",
        ],
        Resource: "*",
      },
      {
        Sid: "AutoscalerResizeOwnGroups",
        Effect: "Allow",
        Action: [
          "autoscaling:SetDesiredCapacity",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
        ],
        Resource: "*",
        Condition: {
          StringEquals: { [`aws:ResourceTag/k8s.io/cluster-autoscaler/${clusterName}`]: "owned" },
        },
      },
    ],
  };
}

/**
 * What a master's termination hook handler calls (lib/nodes/lifecycleHook.ts):
 * its own group and lifecycle state, then the completion, only on the
 * cluster's groups.
 */
export function masterLifecyclePolicy(clusterName: string): IamPolicyDocument {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "LifecycleFindOwnGroup",
        Effect: "Allow",
        Action: ["autoscaling:DescribeAutoScalingInstances"],
        Resource: "*",
      },
      {
        Sid: "LifecycleComplete",
        Effect: "Allow",
        Action: ["autoscaling:CompleteLifecycleAction"],
        Resource: "*",
        Condition: ownedByCluster(clusterName),
      },
    ],
  };
}

/** The masters' policies beyond every node's, by logical-name suffix and IAM policy name. */
export function masterPolicies(region: string, clusterName: string) {
  return [
    {
      key: "cloud-controller",
      name: "aws-cloud-controller-manager",
      document: cloudControllerPolicy(region, clusterName),
    },
    {
      key: "cluster-autoscaler",
      name: "cluster-autoscaler",
      document: clusterAutoscalerPolicy(clusterName),
    },
    {
      key: "lifecycle",
      name: "master-lifecycle-hook",
      document: masterLifecyclePolicy(clusterName),
    },
  ] as const;
}
