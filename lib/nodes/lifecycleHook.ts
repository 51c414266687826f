/**
 * A master's side of the termination lifecycle hook on its Auto Scaling group.
 * When the group terminates the master (instance refresh, a changed launch
 * template rolled by hand, a scale-in, an unhealthy check), the instance waits
 * in `Terminating:Wait`; this handler sees that, runs `kubeadm reset -f`, which
 * removes the master's own etcd member while quorum still holds, and completes
 * the action. If it cannot (the node hangs, the API is down) the hook's
 * heartbeat times out and the termination continues anyway: nothing waits for
 * ever, and the next master to join removes the member instead
 * (lib/nodes/etcdCleanup.ts). Pure: no Pulumi imports.
 */

export const lifecycleHookScriptPath = "/usr/local/sbin/kubeadm-lifecycle-hook";
export const lifecycleHookUnitName = "kubeadm-lifecycle-hook.service";
export const lifecycleHookUnitPath = `/etc/systemd/system/${lifecycleHookUnitName}`;

/** The hook's name on every master group; names are per group, so one constant serves all. */
export const masterTerminationHookName = "kubeadm-reset";
/** Seconds the group waits for the handler before it terminates regardless (the hook's heartbeat). */
export const masterTerminationHeartbeatSeconds = 300;
/** Seconds `kubeadm reset` may take: well inside the heartbeat, so the completion still arrives. */
export const kubeadmResetTimeoutSeconds = 180;
/** Seconds between lifecycle state polls. */
export const lifecyclePollSeconds = 15;

export interface LifecycleHookOptions {
  readonly region: string;
  /** Default `lifecyclePollSeconds`; tests set 0. */
  readonly pollSeconds?: number;
}

/** The handler script, run by its systemd unit on every master. */
export function renderLifecycleHookScript(options: LifecycleHookOptions): string {
  if (!/^[a-z0-9-]+$/.test(options.region)) {
    throw new Error(`region ${JSON.stringify(options.region)} is not a region name`);
  }
  const poll = options.pollSeconds ?? lifecyclePollSeconds;
  if (!Number.isInteger(poll) || poll < 0) throw new Error(`pollSeconds ${poll} is not whole`);
  const header = [
    "#!/bin/bash",
    "# Leaves etcd when the Auto Scaling group terminates this master (lib/nodes/lifecycleHook.ts).",
    "set -uo pipefail",
    `readonly REGION='${options.region}'`,
    `readonly HOOK='${masterTerminationHookName}'`,
    `readonly POLL_SECONDS=${poll}`,
    `readonly RESET_TIMEOUT_SECONDS=${kubeadmResetTimeoutSeconds}`,
  ];
  return `${header.join("\n")}\n${body}`;
}

// The body never uses a dollar-brace, so it is a plain template literal with nothing interpolated.
const body = String.raw`readonly IMDS='http://169.254.169.254/latest'
log() { echo "lifecycle-hook: $*" >&2; }
if ! token=$(curl -fsS --retry 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$IMDS/api/token") ||
  ! instance=$(curl -fsS --retry 5 -H "X-aws-ec2-metadata-token: $token" "$IMDS/meta-data/instance-id"); then
  log "cannot read the instance ID"
  exit 1
fi
while true; do
  state="" group=""
  read -r state group < <(aws autoscaling describe-auto-scaling-instances --region "$REGION" \
    --instance-ids "$instance" --output text \
    --query 'AutoScalingInstances[0].[LifecycleState,AutoScalingGroupName]' 2>/dev/null)
  [ "$state" = "Terminating:Wait" ] && break
  sleep "$POLL_SECONDS"
done
log "$group is terminating $instance: leaving the cluster"
timeout "$RESET_TIMEOUT_SECONDS" kubeadm reset -f || log "kubeadm reset did not finish; terminating anyway"
aws autoscaling complete-lifecycle-action --region "$REGION" --lifecycle-hook-name "$HOOK" \
  --auto-scaling-group-name "$group" --instance-id "$instance" --lifecycle-action-result CONTINUE
`;

/** The systemd unit that keeps the handler running from boot until the instance goes. */
export function renderLifecycleHookUnit(): string {
  return [
    "[Unit]",
    "Description=Leave etcd when the Auto Scaling group terminates this master",
    "Wants=network-online.target",
    "After=network-online.target",
    "[Service]",
    // The AWS CLI may come from a snap.
    "Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/snap/bin",
    `ExecStart=${lifecycleHookScriptPath}`,
    "Restart=on-failure",
    "RestartSec=30",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
