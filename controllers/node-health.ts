import { isPlainObject, type KubeObject } from '../kube/object.js';

/**
 * How the node lifecycle controller judges a node's health (kube's pkg/controller/nodelifecycle
 * tryUpdateNodeHealth and ComputeZoneState). Pure apart from the tracker's memory; time comes in
 * as milliseconds of the controller's own clock.
 */

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** The conditions a kubelet reports and the controller turns Unknown when it falls silent. */
export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export const REASON_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
export const REASON_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const MESSAGE_NEVER_UPDATED = 'Kubelet never posted node status.';

type Condition = Record<string, unknown>;

export function conditionsOf(node: KubeObject): Condition[] {
  const status = isPlainObject(node.status) ? node.status : {};
  return Array.isArray(status.conditions) ? status.conditions.filter(isPlainObject) : [];
}

/** The node's Ready status; a node without a Ready condition counts as Unknown. */
export function readyStatus(node: KubeObject): ConditionStatus {
  const ready = conditionsOf(node).find((c) => c.type === 'Ready');
  const s = ready?.status;
  return s === 'True' || s === 'False' ? s : 'Unknown';
}

/** The heartbeat the kubelet stamps on its Lease, if any. */
export function leaseRenewTime(lease: KubeObject | undefined): string | undefined {
  const spec = lease && isPlainObject(lease.spec) ? lease.spec : {};
  return typeof spec.renewTime === 'string' ? spec.renewTime : undefined;
}

interface Observed {
  probeMs: number;
  readyHeartbeat: string | undefined;
  renewTime: string | undefined;
}

/**
 * Remembers, per node, when this controller last saw a sign of life: a new `lastHeartbeatTime` on
 * the Ready condition or a newer Lease `renewTime`. The moment is read on the controller's clock,
 * not taken from the timestamps themselves, so skew between machines does not matter (as kube's
 * probeTimestamp); a node seen for the first time gets a full grace period from now.
 */
export class NodeHealthTracker {
  private readonly byNode = new Map<string, Observed>();

  /** Records what the node and its lease show now; returns the last sign of life in ms. */
  observe(node: KubeObject, lease: KubeObject | undefined, nowMs: number): number {
    const name = node.metadata.name ?? '';
    const readyHeartbeat = conditionsOf(node).find((c) => c.type === 'Ready')?.lastHeartbeatTime;
    const hb = typeof readyHeartbeat === 'string' ? readyHeartbeat : undefined;
    const renewTime = leaseRenewTime(lease);
    const saved = this.byNode.get(name);
    if (!saved) {
      this.byNode.set(name, { probeMs: nowMs, readyHeartbeat: hb, renewTime });
      return nowMs;
    }
    if (hb !== saved.readyHeartbeat) {
      saved.readyHeartbeat = hb;
      if (hb !== undefined) saved.probeMs = nowMs;
    }
    if (renewTime !== undefined && (saved.renewTime === undefined || Date.parse(renewTime) > Date.parse(saved.renewTime))) {
      saved.renewTime = renewTime;
      saved.probeMs = nowMs;
    }
    return saved.probeMs;
  }

  forget(name: string): void {
    this.byNode.delete(name);
  }
}

/**
 * The node's conditions marked Unknown because its kubelet went silent (kube's
 * tryUpdateNodeHealth): each monitored condition not Unknown yet becomes Unknown with reason
 * NodeStatusUnknown and a new `lastTransitionTime`, keeping its last heartbeat; a missing one is
 * added as NodeStatusNeverUpdated. Undefined when all of them are Unknown already.
 */
export function markConditionsUnknown(node: KubeObject, nowIso: string): Condition[] | undefined {
  const conditions = conditionsOf(node).map((c) => ({ ...c }));
  let changed = false;
  for (const type of MONITORED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      const created = node.metadata.creationTimestamp ?? nowIso;
      conditions.push({
        type,
        status: 'Unknown',
        lastHeartbeatTime: created,
        lastTransitionTime: nowIso,
        reason: REASON_NEVER_UPDATED,
        message: MESSAGE_NEVER_UPDATED,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      Object.assign(c, { status: 'Unknown', reason: REASON_STATUS_UNKNOWN, message: MESSAGE_STATUS_UNKNOWN, lastTransitionTime: nowIso });
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

/** kube's zone states, for the one zone picokube has. */
export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/**
 * kube's ComputeZoneState: no Ready node while some are not → FullDisruption; more than two not
 * Ready and at least `unhealthyThreshold` of all → PartialDisruption; otherwise Normal.
 */
export function zoneState(ready: number, notReady: number, unhealthyThreshold: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= unhealthyThreshold) return 'PartialDisruption';
  return 'Normal';
}

/**
 * How many nodes per second may get a NoExecute taint in this state (kube's
 * setLimiterInZone/ReducedQPSFunc): the eviction rate when Normal; in a partial disruption the
 * secondary rate for a large cluster and none for a small one; none in a full disruption.
 */
export function taintRate(
  state: ZoneState,
  nodes: number,
  rates: { evictionRate: number; secondaryEvictionRate: number; largeClusterSizeThreshold: number },
): number {
  if (state === 'Normal') return rates.evictionRate;
  if (state === 'PartialDisruption') return nodes > rates.largeClusterSizeThreshold ? rates.secondaryEvictionRate : 0;
  return 0;
}
