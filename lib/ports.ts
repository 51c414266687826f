/**
 * Well-known ports of the cluster the program declares, defined once. The ones
 * the policy pack checks too live in policy/rules/wellKnown.ts.
 */

/** The API server, on every master and on the API load balancer. */
export const apiServerPort = 6443;

/** The kubelet API (logs, exec, metrics). */
export const kubeletPort = 10250;

/** etcd client and peer ports, between masters only. */
export const etcdPorts = { from: 2379, to: 2380 } as const;
