import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { RecordedResource } from "../lib/harness/mockEngine";
import { Network } from "../components/network";
import { ClusterInitMarker } from "../components/initMarker";
import {
  awsPartition,
  calicoNodePolicy,
  ec2AssumeRolePolicy,
  NodeIam,
  type PolicyDocument,
} from "../components/nodeIam";
import { isUnknown, recordScenario, type ResourceGraph } from "./support/awsProvider";
import { exampleStacks, loadExample } from "./support/stacks";

const T = {
  vpc: "aws:ec2/vpc:Vpc",
  role: "aws:iam/rolePolicy:RolePolicy",
  iamRole: "aws:iam/role:Role",
  attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
  profile: "aws:iam/instanceProfile:InstanceProfile",
};

/** What Felix calls to turn the source/destination check off (felix/aws/ec2.go). */
const calicoActions = ["ec2:DescribeInstances", "ec2:ModifyNetworkInterfaceAttribute"];

const asList = (value: string | readonly string[] | undefined) =>
  value === undefined ? [] : typeof value === "string" ? [value] : [...value];

/** Broad grants: any service-wide or global wildcard, or a write on every resource. */
function assertNarrow(document: PolicyDocument) {
  for (const statement of document.Statement) {
    for (const action of asList(statement.Action)) {
      assert.ok(!action.includes("*"), `${action} has no wildcard`);
    }
    const writes = asList(statement.Action).filter((a) => !/:(Describe|Get|List)/.test(a));
    if (writes.length > 0) {
      assert.ok(
        !asList(statement.Resource).includes("*"),
        `${writes.join()} not on every resource`,
      );
    }
    assert.equal(statement.Effect, "Allow");
  }
}

describe("calicoNodePolicy", () => {
  it("grants exactly Felix's two calls, narrowly", () => {
    const document = calicoNodePolicy("eu-west-1", "vpc-0abc");
    const actions = document.Statement.flatMap((s) => asList(s.Action)).sort();
    assert.deepEqual(actions, [...calicoActions].sort());
    assertNarrow(document);
  });
  it("only touches network interfaces in the cluster's VPC and region", () => {
    const document = calicoNodePolicy("eu-west-1", "vpc-0abc");
    const modify = document.Statement.find((s) =>
      asList(s.Action).includes("ec2:ModifyNetworkInterfaceAttribute"),
    );
    assert.ok(modify);
    assert.deepEqual(asList(modify.Resource), ["arn:aws:ec2:eu-west-1:*:network-interface/*"]);
    assert.deepEqual(modify.Condition, {
      ArnLike: { "ec2:Vpc": "arn:aws:ec2:eu-west-1:*:vpc/vpc-0abc" },
    });
  });
  it("uses the region's partition", () => {
    assert.equal(awsPartition("cn-north-1"), "aws-cn");
    assert.equal(awsPartition("us-gov-west-1"), "aws-us-gov");
    assert.match(JSON.stringify(calicoNodePolicy("cn-north-1", "vpc-1")), /arn:aws-cn:ec2:/);
  });
  it("lets only EC2 assume the role, with no Resource (IAM refuses it in trust policies)", () => {
    const [statement, ...rest] = ec2AssumeRolePolicy("eu-west-1").Statement;
    assert.equal(rest.length, 0);
    assert.deepEqual(statement.Principal, { Service: "ec2.amazonaws.com" });
    assert.equal(statement.Action, "sts:AssumeRole");
    assert.equal(statement.Resource, undefined);
  });
});

for (const stack of exampleStacks) {
  const { config, plan } = loadExample(stack);
  for (const preview of [true, false]) {
    describe(`NodeIam: ${stack}, ${preview ? "preview" : "update"}`, () => {
      let graph: ResourceGraph;
      before(async () => {
        graph = await recordScenario(config, preview, (provider) => {
          const network = new Network("network", { config, plan }, { provider });
          const marker = new ClusterInitMarker("init-marker", { config }, { provider });
          new NodeIam(
            "iam",
            { config, vpcId: network.vpcId, initMarkerParameterArn: marker.parameterArn },
            { provider },
          );
        });
      });
      const roleNamed = (name: string) => graph.one(T.iamRole, name);
      /** The role a policy, attachment or profile is bound to (by role name, so by dependency). */
      const boundRole = (resource: RecordedResource) => {
        const [role, ...rest] = graph.sources(resource, "role");
        assert.equal(rest.length, 0);
        return role;
      };

      it("has a role and an instance profile for masters and for workers", () => {
        assert.deepEqual(
          graph
            .ofType(T.iamRole)
            .map((r) => r.name)
            .sort(),
          ["master", "worker"],
        );
        for (const role of ["master", "worker"]) {
          const profiles = graph.ofType(T.profile).filter((p) => boundRole(p) === roleNamed(role));
          assert.equal(profiles.length, 1, role);
          const trust = JSON.parse(
            String(roleNamed(role).inputs.assumeRolePolicy),
          ) as PolicyDocument;
          assert.deepEqual(trust, ec2AssumeRolePolicy(config.region));
          const prefix = String(roleNamed(role).inputs.namePrefix);
          assert.ok(prefix.startsWith(config.clusterName) && prefix.length <= 38, prefix);
        }
      });

      it("attaches ECR read-only and SSM core to both, and nothing else managed", () => {
        for (const role of ["master", "worker"]) {
          const arns = graph
            .ofType(T.attachment)
            .filter((a) => boundRole(a) === roleNamed(role))
            .map((a) => String(a.inputs.policyArn).replace(/^arn:[a-z-]+:iam::aws:policy\//, ""))
            .sort();
          assert.deepEqual(arns, [
            "AmazonEC2ContainerRegistryReadOnly",
            "AmazonSSMManagedInstanceCore",
          ]);
        }
      });

      it("gives both the Calico EC2 actions and nothing broad", () => {
        for (const role of ["master", "worker"]) {
          const policies = graph
            .ofType(T.role)
            .filter((p) => boundRole(p) === roleNamed(role) && p.name === `${role}-calico`);
          assert.equal(policies.length, 1, role);
          const [policy] = policies;
          if (preview) {
            // The document names the VPC, whose id a preview does not know yet.
            assert.ok(isUnknown(policy.inputs.policy));
            assert.deepEqual(graph.sources(policy, "policy"), [graph.one(T.vpc, "vpc")]);
            continue;
          }
          const document = JSON.parse(String(policy.inputs.policy)) as PolicyDocument;
          const actions = document.Statement.flatMap((s) => asList(s.Action));
          for (const action of calicoActions) assert.ok(actions.includes(action), action);
          assertNarrow(document);
          assert.match(JSON.stringify(document), /vpc\/vpc@aws:ec2\/vpc:Vpc/);
        }
      });

      it("lets nodes report their own health, and only masters touch the init marker", () => {
        for (const role of ["master", "worker"]) {
          const [policy] = graph
            .ofType(T.role)
            .filter((p) => boundRole(p) === roleNamed(role) && p.name === `${role}-bootstrap`);
          assert.ok(policy, role);
          if (preview) continue;
          const document = JSON.parse(String(policy.inputs.policy)) as PolicyDocument;
          assertNarrow(document);
          const actions = document.Statement.flatMap((s) => asList(s.Action)).sort();
          assert.deepEqual(
            actions,
            role === "master"
              ? ["autoscaling:SetInstanceHealth", "ssm:GetParameter", "ssm:PutParameter"]
              : ["autoscaling:SetInstanceHealth"],
          );
          const health = document.Statement.find((s) => s.Sid === "ReportOwnHealth");
          assert.deepEqual(health?.Condition, {
            StringEquals: {
              [`autoscaling:ResourceTag/kubernetes.io/cluster/${config.clusterName}`]: "owned",
            },
          });
          const marker = document.Statement.find((s) => s.Sid === "ClusterInitMarker");
          if (marker) assert.equal(asList(marker.Resource).length, 1);
        }
      });

      const inlineDocuments = (role: string) =>
        graph
          .ofType(T.role)
          .filter(
            (p) =>
              boundRole(p) === roleNamed(role) &&
              p.name !== `${role}-calico` &&
              p.name !== `${role}-bootstrap`,
          )
          .map((p) => {
            assert.equal(typeof p.inputs.policy, "string", p.name);
            return {
              name: p.name,
              document: JSON.parse(String(p.inputs.policy)) as PolicyDocument,
            };
          });

      it("gives the masters the cloud controller's, the autoscaler's and the lifecycle hook's policies, each named", () => {
        const master = inlineDocuments("master");
        assert.deepEqual(master.map((p) => p.name).sort(), [
          "master-cloud-controller",
          "master-cluster-autoscaler",
          "master-lifecycle",
        ]);
        const statement = (sid: string) => {
          const found = master.flatMap((p) => p.document.Statement).filter((s) => s.Sid === sid);
          assert.equal(found.length, 1, sid);
          return found[0];
        };
        // Mutations of existing resources only on the cluster's own tag.
        const owned = statement("CloudControllerChangeOwned");
        assert.deepEqual(owned.Condition, {
          StringEquals: {
            [`aws:ResourceTag/kubernetes.io/cluster/${config.clusterName}`]: "owned",
          },
        });
        for (const action of [
          "ec2:AuthorizeSecurityGroupIngress",
          "ec2:RevokeSecurityGroupIngress",
          "elasticloadbalancing:DeleteLoadBalancer",
          "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
        ]) {
          assert.ok(asList(owned.Action).includes(action), action);
        }
        assert.ok(
          asList(statement("CloudControllerCreate").Action).includes(
            "elasticloadbalancing:CreateLoadBalancer",
          ),
        );
        const resize = statement("AutoscalerResizeOwnGroups");
        assert.deepEqual([...asList(resize.Action)].sort(), [
          "autoscaling:SetDesiredCapacity",
          "autoscaling:TerminateInstanceInAutoScalingGroup",
        ]);
        assert.deepEqual(resize.Condition, {
          StringEquals: {
            [`aws:ResourceTag/k8s.io/cluster-autoscaler/${config.clusterName}`]: "owned",
          },
        });
        const complete = statement("LifecycleComplete");
        assert.deepEqual(asList(complete.Action), ["autoscaling:CompleteLifecycleAction"]);
        assert.deepEqual(complete.Condition, {
          StringEquals: {
            [`aws:ResourceTag/kubernetes.io/cluster/${config.clusterName}`]: "owned",
          },
        });
        // Every statement that changes anything is conditioned (tag, region or service).
        for (const s of master.flatMap((p) => p.document.Statement)) {
          const mutating = asList(s.Action).some((a) => !/:(Describe|Get)/.test(a));
          if (mutating) assert.ok(s.Condition, s.Sid);
        }
      });

      it("lets workers touch neither load balancers nor group sizes nor lifecycle actions", () => {
        assert.deepEqual(inlineDocuments("worker"), []);
        const workerActions = graph
          .ofType(T.role)
          .filter((p) => boundRole(p) === roleNamed("worker"))
          .flatMap((p) =>
            typeof p.inputs.policy === "string"
              ? (JSON.parse(p.inputs.policy) as PolicyDocument).Statement.flatMap((s) =>
                  asList(s.Action),
                )
              : [],
          );
        for (const action of workerActions) {
          // Bar its own health report (the bootstrap's, on the cluster's own groups).
          if (action === "autoscaling:SetInstanceHealth") continue;
          assert.ok(!/^(elasticloadbalancing|autoscaling):/.test(action), action);
        }
      });
    });
  }
}
