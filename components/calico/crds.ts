/**
 * Who owns the Calico CRDs. They come from the `crd.projectcalico.org.v1` chart
 * (32 CRDs, ~3 MB raw at v3.32.1), which must never be a Helm release: a release
 * stores the whole rendered chart, gzip'd, in one Secret capped at 1 MiB (~0.95 MB
 * at v3.32.1, ~1.17 MB on the v3.33 branch), and deleting or rolling back that
 * release deletes every CRD and with them every pool, IPAM block and the
 * Installation. So the chart is a `helm.v4.Chart`: rendered by the provider and
 * applied server-side, one resource per CRD, as upstream's own docs apply them.
 *
 * pulumi-kubernetes gives a v4 Chart's children no resource options of the
 * chart's own but its parent (provider/pkg/provider/helm/v4/chart.go; `protect`
 * and `retainOnDelete` on the chart do not reach them, pulumi-kubernetes#3065), so
 * a transform sets them on every child: `protect` and `retainOnDelete`, the
 * provider, and `pulumi.com/patchForce` so the server-side apply takes over the
 * fields Helm's manager still holds on a stack that installed them with Helm.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
  calicoChartRepository,
  calicoCrdChart,
  calicoCrdReleaseName,
  calicoNamespace,
} from "../../lib/calicoValues";
import { logicalName } from "../../lib/naming";

export const crdChartType = "kubernetes:helm.sh/v4:Chart";
const crdType = "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition";

/**
 * Every input of a `helm.v3.Release` (@pulumi/kubernetes 4.x), all ignored: the
 * legacy release stays frozen at what the stack deployed, so Pulumi never upgrades
 * it (an upgrade would hit the Secret cap) nor rolls it back.
 */
export const legacyReleaseFrozenInputs: readonly string[] = [
  "allowNullValues",
  "atomic",
  "chart",
  "cleanupOnFail",
  "compat",
  "createNamespace",
  "dependencyUpdate",
  "description",
  "devel",
  "disableCRDHooks",
  "disableOpenapiValidation",
  "disableWebhooks",
  "forceUpdate",
  "keyring",
  "lint",
  "manifest",
  "maxHistory",
  "name",
  "namespace",
  "postrender",
  "recreatePods",
  "renderSubchartNotes",
  "replace",
  "repositoryOpts",
  "resetValues",
  "resourceNames",
  "reuseValues",
  "skipAwait",
  "skipCrds",
  "takeOwnership",
  "timeout",
  "valueYamlFiles",
  "values",
  "verify",
  "version",
  "waitForJobs",
];

/** Marks an object's metadata so a server-side apply takes fields over from another manager. */
function withPatchForce(props: Record<string, unknown>): Record<string, unknown> {
  const metadata = (props.metadata ?? {}) as Record<string, unknown>;
  const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
  return {
    ...props,
    metadata: { ...metadata, annotations: { ...annotations, "pulumi.com/patchForce": "true" } },
  };
}

/**
 * The transform the CRD chart applies to what it renders: every child protected,
 * retained on delete and bound to `provider`; CRDs applied with patchForce.
 */
export function crdChildTransform(provider: k8s.Provider): pulumi.ResourceTransform {
  return (args) => {
    if (args.type === crdChartType) return undefined;
    return {
      props: args.type === crdType ? withPatchForce(args.props) : args.props,
      opts: pulumi.mergeOptions(args.opts, { protect: true, retainOnDelete: true, provider }),
    };
  };
}

export interface CalicoCrdsArgs {
  /** Version of the CRD chart, with its leading `v`. Required; no default. */
  readonly version: string;
  /**
   * `retain`: the stack still has the `calico-crds` Helm release (step 1 of the
   * move, README "Moving the Calico CRDs off Helm"): keep declaring it, frozen and
   * retainOnDelete. Default: unset, no release declared.
   */
  readonly legacyCrdRelease?: "retain";
  /** The provider every CRD is applied with. Required; no default. */
  readonly provider: k8s.Provider;
}

/**
 * Declares the CRDs as children of `parent` (the Calico component), keeping the
 * logical names a deployed stack has: `<name>-crds` for the legacy release.
 * @returns the resources the operator release must wait for
 */
export function declareCalicoCrds(
  name: string,
  args: CalicoCrdsArgs,
  parent: pulumi.Resource,
): pulumi.Resource[] {
  const { provider } = args;
  const chart = new k8s.helm.v4.Chart(
    logicalName(name, "crd-chart"),
    {
      chart: calicoCrdChart,
      version: args.version,
      repositoryOpts: { repo: calicoChartRepository },
    },
    {
      parent,
      providers: [provider],
      protect: true,
      retainOnDelete: true,
      transforms: [crdChildTransform(provider)],
    },
  );
  if (args.legacyCrdRelease !== "retain") return [chart];
  const legacy = new k8s.helm.v3.Release(
    logicalName(name, "crds"),
    {
      name: calicoCrdReleaseName,
      chart: calicoCrdChart,
      version: args.version,
      repositoryOpts: { repo: calicoChartRepository },
      namespace: calicoNamespace,
      createNamespace: true,
      maxHistory: 5,
    },
    {
      parent,
      provider,
      retainOnDelete: true,
      ignoreChanges: [...legacyReleaseFrozenInputs],
    },
  );
  return [chart, legacy];
}
