import { type Taint, type Toleration, toleratesTaint } from '../kube/taints.js';

/**
 * The taints the node lifecycle controller owns and the taint eviction controller's timing (kube's
 * taint constants and taint manager). Taints and tolerations themselves are kube/taints.ts. Pure.
 */

/** The node's Ready condition is Unknown: the kubelet stopped reporting. */
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
/** The node's Ready condition is False: the kubelet says it is not ready. */
export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';

export const UNREACHABLE_NO_SCHEDULE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoSchedule' };
export const NOT_READY_NO_SCHEDULE: Taint = { key: TAINT_NOT_READY, effect: 'NoSchedule' };
export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_UNREACHABLE, effect: 'NoExecute' };
export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NOT_READY, effect: 'NoExecute' };

/** The taints the node lifecycle controller owns; it adds and removes only these. */
export const CONTROLLER_TAINTS: readonly Taint[] = [UNREACHABLE_NO_SCHEDULE, NOT_READY_NO_SCHEDULE, UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE];

export const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;

/**
 * When the taint eviction must delete the pod, in ms (kube's taint manager: getMatchingTolerations
 * + getMinTolerationTime, per taint): a NoExecute taint the pod does not tolerate means now
 * (-Infinity); a tolerated one means `startMs(taint)` plus the smallest `tolerationSeconds` of the
 * tolerations matching it (negative counts as 0), or never when none of them sets it. The pod
 * goes at the earliest of these; undefined means it may stay for good.
 */
export function evictionDueMs(tolerations: readonly Toleration[], noExecute: readonly Taint[], startMs: (taint: Taint) => number): number | undefined {
  let due: number | undefined;
  for (const taint of noExecute) {
    const matching = tolerations.filter((t) => toleratesTaint(t, taint));
    if (matching.length === 0) return Number.NEGATIVE_INFINITY;
    let seconds: number | undefined;
    for (const t of matching) {
      if (t.tolerationSeconds === undefined) continue;
      const s = Math.max(0, t.tolerationSeconds);
      seconds = seconds === undefined ? s : Math.min(seconds, s);
    }
    if (seconds === undefined) continue;
    const at = startMs(taint) + seconds * 1000;
    due = due === undefined ? at : Math.min(due, at);
  }
  return due;
}

/**
 * The node's taints with the controller's taints brought to `wanted`: those of `CONTROLLER_TAINTS`
 * not wanted go, wanted ones missing are added (`timeAdded` = `nowIso` for NoExecute ones), and
 * a taint already there keeps its `timeAdded`. Everybody else's taints are untouched, in order.
 * Returns undefined when nothing changes.
 */
export function reconcileTaints(current: readonly Taint[], wanted: readonly Taint[], nowIso: string): Taint[] | undefined {
  const owned = (t: Taint): boolean => CONTROLLER_TAINTS.some((c) => sameTaint(c, t));
  const keep = current.filter((t) => !owned(t) || wanted.some((w) => sameTaint(w, t)));
  const add = wanted.filter((w) => !current.some((t) => sameTaint(t, w))).map((w) => (w.effect === 'NoExecute' ? { ...w, timeAdded: nowIso } : { ...w }));
  if (keep.length === current.length && add.length === 0) return undefined;
  return [...keep, ...add];
}
