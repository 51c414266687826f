/**
 * One Kubernetes cluster per stack: a multi-AZ VPC, kubeadm masters (one per AZ)
 * and worker groups behind an API load balancer, and Calico with IPIP
 * CrossSubnet. Addresses come from the plan (`npm run plan` shows the same);
 * a config or plan with errors stops here, before any resource is declared.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ApiLoadBalancer } from "./components/apiLoadBalancer";
import { ApiReadiness } from "./components/apiReadiness";
import { AwsCloudController } from "./components/addons/awsCloudController";
import { ClusterAutoscaler } from "./components/addons/clusterAutoscaler";
import { Calico } from "./components/calico";
import { ClusterPki } from "./components/clusterPki";
import { ClusterSecrets } from "./components/clusterSecrets";
import { ControlPlane } from "./components/controlPlane";
import { ClusterInitMarker } from "./components/initMarker";
import { Network } from "./components/network";
import { InterfaceEndpoints } from "./components/network/interfaceEndpoints";
import { NodeGroup } from "./components/nodeGroup";
import { NodeIam } from "./components/nodeIam";
import { SecurityGroups } from "./components/securityGroups";
import { commonTags } from "./lib/naming";
import { planDeployableAddresses, readClusterConfig } from "./lib/config/runtimeConfig";

const config = readClusterConfig();
const plan = planDeployableAddresses(config);

// Default tags reach every taggable resource without each component repeating them.
const provider = new aws.Provider("aws", {
  region: config.region as aws.Region,
  defaultTags: { tags: commonTags(config) },
});

const network = new Network("network", { config, plan }, { provider });
const security = new SecurityGroups(
  "security",
  { config, vpcId: network.vpcId, natPublicIps: network.natPublicIps, routing: plan.routing },
  { provider },
);
const api = new ApiLoadBalancer(
  "api",
  {
    config,
    vpcId: network.vpcId,
    publicSubnetIds: network.publicSubnetIdList,
    privateSubnetIds: network.privateSubnetIdList,
    securityGroupId: security.apiLoadBalancerSecurityGroupId,
  },
  { provider },
);
// Without NAT the AWS APIs are reached through interface endpoints; with NAT, through it.
const endpoints =
  config.natGateways === "none"
    ? new InterfaceEndpoints(
        "endpoints",
        {
          config,
          vpcId: network.vpcId,
          vpcCidr: network.vpcCidr,
          subnetIds: network.privateSubnetIdList,
        },
        { provider },
      )
    : undefined;
/** What a node in each AZ needs before it boots: its NAT default route, or the endpoints. */
const egressDependencies: Record<string, pulumi.Resource[]> = Object.fromEntries(
  network.availabilityZones.map((zone) => {
    const route = network.privateDefaultRoutes[zone];
    return [zone, route ? [route] : endpoints ? [endpoints] : []];
  }),
);
const initMarker = new ClusterInitMarker("init-marker", { config }, { provider });
const iam = new NodeIam(
  "iam",
  { config, vpcId: network.vpcId, initMarkerParameterArn: initMarker.parameterArn },
  { provider },
);
const pki = new ClusterPki("pki", { config, apiEndpointHost: api.endpointHost });
// The PKI and the join token reach nodes through this store, never through user data.
const secrets = new ClusterSecrets(
  "secrets",
  {
    config,
    controlPlaneSecrets: pki.controlPlaneSecrets,
    bootstrapToken: pki.bootstrapToken,
    master: iam.master,
    worker: iam.worker,
  },
  { provider },
);

const controlPlane = new ControlPlane(
  "control-plane",
  {
    config,
    plan,
    pki,
    secretStore: secrets.masterStore,
    apiEndpointHost: api.endpointHost,
    privateSubnetIds: network.privateSubnetIds,
    securityGroupIds: [security.masterSecurityGroupId],
    instanceProfileName: iam.master.instanceProfileName,
    apiTargetGroupArn: api.targetGroupArn,
    initMarkerParameter: initMarker.parameterName,
    egressDependencies,
  },
  // The bootstrap reads the marker and reports its health with the roles' policies.
  { provider, dependsOn: [iam, initMarker] },
);

const workerGroups = config.workerGroups.map(
  (group) =>
    new NodeGroup(
      group.name,
      {
        config,
        plan,
        groupName: group.name,
        pki,
        secretStore: secrets.workerStore,
        apiEndpointHost: api.endpointHost,
        privateSubnetIds: network.privateSubnetIds,
        securityGroupIds: [security.nodeSecurityGroupId],
        instanceProfileName: iam.worker.instanceProfileName,
        egressDependencies,
      },
      { provider, dependsOn: [iam] },
    ),
);

const apiReadiness = new ApiReadiness("api-readiness", {
  apiEndpointHost: api.endpointHost,
  clusterCaCertPem: pki.clusterCaCertPem,
  kubeconfig: pki.adminKubeconfig,
  timeoutMinutes: config.apiReadinessTimeoutMinutes,
  after: [controlPlane],
});

const calico = new Calico("calico", {
  config,
  plan,
  kubeconfig: apiReadiness.kubeconfig,
  apiReadiness,
});

// Through Calico's provider, so both wait for the API. The controller starts on
// the host network without Calico; the autoscaler needs both before its pod runs.
const cloudController = new AwsCloudController("aws-cloud-controller", {
  config,
  provider: calico.provider,
});
const clusterAutoscaler = new ClusterAutoscaler("cluster-autoscaler", {
  config,
  provider: calico.provider,
  dependsOn: [cloudController, calico],
});

export const vpcId = network.vpcId;
export const vpcCidr = network.vpcCidr;
export const publicSubnetIds = network.publicSubnetIds;
export const privateSubnetIds = network.privateSubnetIds;
export const natGatewayIds = network.natGatewayIds;
export const natPublicIps = network.natPublicIps;
export const apiEndpoint = api.controlPlaneEndpoint;
export const masterAutoScalingGroups = controlPlane.autoScalingGroupNames;
export const workerAutoScalingGroups = Object.fromEntries(
  config.workerGroups.map((group, index) => [group.name, workerGroups[index].autoScalingGroupName]),
);
/** Admin credentials: a secret, shown only with `pulumi stack output kubeconfig --show-secrets`. */
export const kubeconfig = pulumi.secret(apiReadiness.kubeconfig);
export const calicoPoolCidr = calico.poolCidr;
export const calicoBlockSize = calico.blockSize;
export const calicoEncapsulation = calico.encapsulation;
export const calicoChartVersion = calico.chartVersion;
export const cloudControllerVersion = cloudController.version;
export const clusterAutoscalerVersion = clusterAutoscaler.version;
