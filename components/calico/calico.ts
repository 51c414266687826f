/**
 * Calico on the cluster: the CRDs (server-side applied, never a Helm release:
 * ./crds.ts), then the tigera-operator chart whose `Installation` declares one
 * IPIP CrossSubnet pool from the address plan, routed as the plan says.
 *
 * Everything here talks to the Kubernetes API through a provider built from the
 * admin kubeconfig that waits for the API's readiness, so nothing is sent to an
 * API server that is not answering yet.
 *
 * Calico cannot change a pool's CIDR or block size in place, and the operator,
 * given a new pool, deletes the old one under running pods. So the pool's
 * identity is held by a protected resource (`<name>-pod-pool`) whose keepers are
 * the CIDR and block size: changing either forces a replacement, which Pulumi
 * refuses in preview until someone has migrated the pods and unprotected it
 * (README, "Changing the pod pool").
 */
import { refuse } from "../refusal";
import { declareCalicoCrds } from "./crds";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import {
  type CalicoConfig,
  CalicoInputError,
  type CalicoPlan,
  calicoChartRepository,
  calicoNamespace,
  podPoolIdentity,
  type TigeraOperatorValues,
  tigeraOperatorChart,
  tigeraOperatorReleaseName,
  tigeraOperatorValues,
} from "../../lib/calicoValues";
import { logicalName } from "../../lib/naming";

export interface CalicoArgs {
  /**
   * Validated stack config: `calico.version` (both charts' version), `calico.mtu`,
   * `calico.hostMtu`, the optional components (`apiServer`, `goldmane`, `whisker`),
   * `calico.legacyCrdRelease` and `serviceCidr`. Required; no default.
   */
  readonly config: CalicoConfig;
  /**
   * The address plan: the pod pool (CIDR, block size, encapsulation), the routing
   * mode and the planner's findings. Required; a plan with pod-pool errors is refused before
   * anything is declared.
   */
  readonly plan: CalicoPlan;
  /** The cluster's admin kubeconfig. Required; kept a secret even if passed in plain. */
  readonly kubeconfig: pulumi.Input<string>;
  /**
   * Completes once the API server answers `/readyz` through the API load balancer;
   * the Kubernetes provider waits for it. Required; no default.
   */
  readonly apiReadiness: pulumi.Input<pulumi.Resource>;
}

/**
 * The chart values for these args, or a refusal naming each bad key.
 * Runs before the component registers, so a refused plan declares nothing.
 */
function valuesOrRefuse(name: string, args: CalicoArgs): TigeraOperatorValues {
  try {
    return tigeraOperatorValues(args.plan, args.config);
  } catch (error) {
    if (error instanceof CalicoInputError) refuse(`Calico ${name}`, error.problems);
    throw error;
  }
}

export class Calico extends pulumi.ComponentResource {
  readonly poolCidr: pulumi.Output<string>;
  readonly blockSize: pulumi.Output<number>;
  readonly encapsulation: pulumi.Output<string>;
  /** Version of both charts, with its leading `v`. */
  readonly chartVersion: pulumi.Output<string>;
  /** The provider the releases use; ready only after `apiReadiness`. */
  readonly provider: k8s.Provider;

  constructor(name: string, args: CalicoArgs, opts?: pulumi.ComponentResourceOptions) {
    const values = valuesOrRefuse(name, args);
    super("calico-cluster:calico:Calico", name, {}, opts);

    const [pool] = values.installation.calicoNetwork.ipPools;
    const version = args.config.calico.version;

    this.provider = new k8s.Provider(
      logicalName(name, "kubernetes"),
      { kubeconfig: pulumi.secret(args.kubeconfig) },
      { parent: this, dependsOn: args.apiReadiness },
    );

    // Nothing reads the id: the point is the replacement a changed keeper forces,
    // which `protect` turns into a refusal.
    const poolGuard = new random.RandomId(
      logicalName(name, "pod-pool"),
      { byteLength: 4, keepers: podPoolIdentity(args.plan) },
      { parent: this, protect: true },
    );

    const crds = declareCalicoCrds(
      name,
      {
        version,
        legacyCrdRelease: args.config.calico.legacyCrdRelease,
        provider: this.provider,
      },
      this,
    );
    new k8s.helm.v3.Release(
      logicalName(name, "operator"),
      {
        name: tigeraOperatorReleaseName,
        chart: tigeraOperatorChart,
        version,
        repositoryOpts: { repo: calicoChartRepository },
        namespace: calicoNamespace,
        createNamespace: true,
        // Each upgrade keeps the rendered chart in a Secret; without CRDs it is small.
        maxHistory: 5,
        // The CRDs belong to the CRD chart alone (the v3.32 operator chart ships none).
        skipCrds: true,
        values,
      },
      { parent: this, provider: this.provider, dependsOn: [...crds, poolGuard] },
    );

    this.poolCidr = pulumi.output(pool.cidr);
    this.blockSize = pulumi.output(pool.blockSize);
    this.encapsulation = pulumi.output(pool.encapsulation);
    this.chartVersion = pulumi.output(version);
    this.registerOutputs({
      poolCidr: this.poolCidr,
      blockSize: this.blockSize,
      encapsulation: this.encapsulation,
      chartVersion: this.chartVersion,
    });
  }
}
