import { isNotFound } from '../../kube/client/api-client.js';
import { restClientOptionsFromFlags } from '../../kube/client/connection-flags.js';
import { Resources } from '../../kube/client/resource.js';
import { RestClient } from '../../kube/client/rest-client.js';
import { isPlainObject, type KubeObject } from '../../kube/object.js';

/** The Leases kube-scheduler and kube-controller-manager elect their active copy through (kube-system). */
export const LEADER_LEASES = { scheduler: 'kube-scheduler', controllerManager: 'kube-controller-manager' } as const;

/** One node as `status` shows it. */
export interface NodeRow {
  readonly name: string;
  /** The Ready condition's status (True, False, Unknown), or `-` without one. */
  readonly ready: string;
  /** Pods bound to it that have not finished (not Succeeded, not Failed). */
  readonly pods: number;
}

/** What `status` asks the apiserver: who holds each leader Lease, the nodes and their pods. */
export interface ApiOverview {
  /** holderIdentity of each Lease; undefined when the Lease does not exist, is released or has expired. */
  readonly schedulerHolder?: string | undefined;
  readonly controllerManagerHolder?: string | undefined;
  readonly nodes: readonly NodeRow[];
}

/**
 * Reads the overview through DIR/kubeconfig, as kubectl would (so it follows the apiserver to
 * https and client certificates). Throws when the apiserver does not answer.
 */
export async function readApiOverview(kubeconfigFile: string, timeoutMs = 3000): Promise<ApiOverview> {
  const client = new RestClient(
    restClientOptionsFromFlags({ kubeconfig: kubeconfigFile }, { userAgent: 'picokube-status', requestTimeoutMs: timeoutMs, maxRetries: 0 }),
  );
  try {
    const holder = async (name: string): Promise<string | undefined> => {
      try {
        return leaseHolder(await client.get(Resources.leases, name, 'kube-system'));
      } catch (e) {
        if (isNotFound(e)) return undefined;
        throw e;
      }
    };
    const [schedulerHolder, controllerManagerHolder, nodes, pods] = await Promise.all([
      holder(LEADER_LEASES.scheduler),
      holder(LEADER_LEASES.controllerManager),
      client.list(Resources.nodes),
      client.list(Resources.pods),
    ]);
    return { schedulerHolder, controllerManagerHolder, nodes: nodeRows(nodes.items, pods.items) };
  } finally {
    client.close();
  }
}

/**
 * A Lease's spec.holderIdentity; undefined when empty (released) or expired at `nowMs`: its
 * renewTime plus leaseDurationSeconds has passed, so the holder is dead or cut off and a standby
 * may take over (the machine's clock is the cluster's: everything runs on this host).
 */
export function leaseHolder(lease: KubeObject, nowMs = Date.now()): string | undefined {
  const spec = isPlainObject(lease.spec) ? lease.spec : {};
  const holder = spec.holderIdentity;
  if (typeof holder !== 'string' || holder === '') return undefined;
  const renewed = typeof spec.renewTime === 'string' ? Date.parse(spec.renewTime) : Number.NaN;
  const duration = spec.leaseDurationSeconds;
  if (Number.isFinite(renewed) && typeof duration === 'number' && renewed + duration * 1000 < nowMs) return undefined;
  return holder;
}

/**
 * The process id in a scheduler's or controller-manager's identity, `<host>_<pid>_<random>`
 * (scheduler/main.ts, controllers/main.ts put it there so the holder can be told apart).
 */
export function holderPid(identity: string | undefined): number | undefined {
  const m = identity === undefined ? null : /_(\d+)_[^_]*$/.exec(identity);
  return m ? Number(m[1]) : undefined;
}

/** The nodes by name with their Ready condition and their unfinished pods. */
export function nodeRows(nodes: readonly KubeObject[], pods: readonly KubeObject[]): NodeRow[] {
  const podsOn = new Map<string, number>();
  for (const pod of pods) {
    const spec = isPlainObject(pod.spec) ? pod.spec : {};
    const status = isPlainObject(pod.status) ? pod.status : {};
    if (typeof spec.nodeName !== 'string' || status.phase === 'Succeeded' || status.phase === 'Failed') continue;
    podsOn.set(spec.nodeName, (podsOn.get(spec.nodeName) ?? 0) + 1);
  }
  return nodes
    .map((node) => {
      const name = node.metadata.name ?? '';
      const status = isPlainObject(node.status) ? node.status : {};
      const conditions = Array.isArray(status.conditions) ? status.conditions : [];
      const ready = conditions.find((c): c is Record<string, unknown> => isPlainObject(c) && c.type === 'Ready');
      return { name, ready: typeof ready?.status === 'string' ? ready.status : '-', pods: podsOn.get(name) ?? 0 };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}
