/**
 * The cluster's init marker: an SSM String parameter the program declares with
 * the value `uninitialised` and never changes afterwards (its value is ignored
 * on update), which the init master sets to `initialised` after a successful
 * `kubeadm init`. Every master reads it; it survives the replacement of any
 * instance, so a replaced first master always joins. Pure: no Pulumi imports.
 */

export const initMarkerPending = "uninitialised";
export const initMarkerDone = "initialised";

/** `/calico-cluster/<cluster>/kubeadm-init`: regional, like the cluster. */
export function initMarkerParameterName(clusterName: string): string {
  return `/calico-cluster/${clusterName}/kubeadm-init`;
}

/** The parameter's ARN (SSM parameter ARNs drop the name's leading slash). */
export function initMarkerParameterArn(
  partition: string,
  region: string,
  accountId: string,
  clusterName: string,
): string {
  return `arn:${partition}:ssm:${region}:${accountId}:parameter${initMarkerParameterName(clusterName)}`;
}
