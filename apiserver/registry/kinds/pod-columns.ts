import type { KubeObject } from '../../../kube/object.js';
import { ageColumn, column, nameColumn, orNone } from '../../table/columns.js';
import { humanDuration, parseTimestampMs } from '../../table/human-duration.js';
import type { TableColumn } from '../types.js';
import { at, type JsonRecord, list, num, rec, records, str } from './json.js';

/**
 * The pod row of `kubectl get pods` (kube's printPod): READY `1/2`, STATUS from the phase or the
 * most telling container state, RESTARTS with the time of the last one, and the wide columns.
 */

export interface PodSummary {
  /** `ready/total` containers (restartable init containers count). */
  readonly ready: string;
  readonly status: string;
  /** `0`, or `2 (5m ago)` when the last restart's time is known. */
  readonly restarts: string;
}

/** The node lifecycle controller's reason for pods on a lost node. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

function isRestartable(initContainer: unknown): boolean {
  return str(at(initContainer, 'restartPolicy')) === 'Always';
}

function conditionTrue(conditions: unknown, type: string): boolean {
  return records(conditions).some(([c]) => c.type === type && c.status === 'True');
}

/** When the container last terminated (for `2 (5m ago)`), or 0. */
function lastTerminationMs(status: JsonRecord): number {
  return parseTimestampMs(at(status, 'lastState', 'terminated', 'finishedAt')) ?? 0;
}

function terminatedReason(terminated: JsonRecord, prefix: string): string {
  if (str(terminated.reason) !== '') return `${prefix}${str(terminated.reason)}`;
  if (num(terminated.signal) !== 0) return `${prefix}Signal:${num(terminated.signal)}`;
  return `${prefix}ExitCode:${num(terminated.exitCode)}`;
}

export function summarizePod(pod: KubeObject, nowMs: number): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (records(status.conditions).some(([c]) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  const initSpecs = new Map<string, unknown>(records(spec.initContainers).map(([c]) => [str(c.name), c]));
  const total = list(spec.containers).length + list(spec.initContainers).filter(isRestartable).length;
  let ready = 0;
  let restarts = 0;
  let lastRestartMs = 0;
  let sidecarRestarts = 0;
  let lastSidecarRestartMs = 0;

  let initializing = false;
  const initStatuses = records(status.initContainerStatuses);
  for (const [c, i] of initStatuses) {
    restarts += num(c.restartCount);
    lastRestartMs = Math.max(lastRestartMs, lastTerminationMs(c));
    const sidecar = isRestartable(initSpecs.get(str(c.name)));
    if (sidecar) {
      sidecarRestarts += num(c.restartCount);
      lastSidecarRestartMs = Math.max(lastSidecarRestartMs, lastTerminationMs(c));
    }
    const terminated = at(c, 'state', 'terminated');
    const waitingReason = str(at(c, 'state', 'waiting', 'reason'));
    if (terminated !== undefined && num(at(terminated, 'exitCode')) === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (terminated !== undefined) reason = terminatedReason(rec(terminated), 'Init:');
    else if (waitingReason !== '' && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${list(spec.initContainers).length}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestartMs = lastSidecarRestartMs;
    let hasRunning = false;
    const statuses = records(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i]?.[0] ?? {};
      restarts += num(c.restartCount);
      lastRestartMs = Math.max(lastRestartMs, lastTerminationMs(c));
      const waitingReason = str(at(c, 'state', 'waiting', 'reason'));
      const terminated = at(c, 'state', 'terminated');
      if (waitingReason !== '') reason = waitingReason;
      else if (terminated !== undefined) reason = terminatedReason(rec(terminated), '');
      else if (c.ready === true && at(c, 'state', 'running') !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) reason = conditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = typeof pod.metadata.deletionTimestamp === 'string' && pod.metadata.deletionTimestamp !== '';
  if (deleting && str(status.reason) === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const restartsText = restarts !== 0 && lastRestartMs !== 0 ? `${restarts} (${humanDuration(nowMs - lastRestartMs)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsText };
}

function podIP(pod: KubeObject): string {
  return str(at(pod, 'status', 'podIPs', 0, 'ip')) || str(at(pod, 'status', 'podIP'));
}

/** `true/total` of the pod's readiness gates' conditions, or `<none>`. */
function readinessGates(pod: KubeObject): string {
  const gates = records(at(pod, 'spec', 'readinessGates'));
  if (gates.length === 0) return '<none>';
  const conditions = records(at(pod, 'status', 'conditions'));
  const trueCount = gates.filter(([g]) => conditions.find(([c]) => c.type === g.conditionType)?.[0].status === 'True').length;
  return `${trueCount}/${gates.length}`;
}

export const POD_COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.', (o, now) => summarizePod(o, now).ready),
  column('Status', 'string', 'The aggregate status of the containers in this pod.', (o, now) => summarizePod(o, now).status),
  column(
    'Restarts',
    'string',
    'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    (o, now) => summarizePod(o, now).restarts,
  ),
  ageColumn(),
  column('IP', 'string', 'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', (o) => orNone(podIP(o)), 1),
  column('Node', 'string', 'NodeName indicates in which node this pod is scheduled.', (o) => orNone(str(at(o, 'spec', 'nodeName'))), 1),
  column(
    'Nominated Node',
    'string',
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    (o) => orNone(str(at(o, 'status', 'nominatedNodeName'))),
    1,
  ),
  column('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', readinessGates, 1),
];
