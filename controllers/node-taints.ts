import { isPlainObject, type KubeObject } from '../kube/object.js';

/**
 * Node taints and pod tolerations as the node lifecycle and taint eviction controllers read them
 * (k8s.io/api core/v1 Taint, Toleration and their ToleratesTaint; kube's taint constants). Pure.
 */

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: TaintEffect;
  /** RFC 3339; set on NoExecute taints, the start of every toleration's countdown. */
  readonly timeAdded?: string;
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: string;
  readonly value?: string;
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

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

const EFFECTS: ReadonlySet<string> = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/** The node's well-formed taints (`spec.taints`); malformed entries are skipped. */
export function taintsOf(node: KubeObject): Taint[] {
  const spec = isPlainObject(node.spec) ? node.spec : {};
  const raw = Array.isArray(spec.taints) ? spec.taints : [];
  const out: Taint[] = [];
  for (const t of raw) {
    if (!isPlainObject(t) || typeof t.key !== 'string' || typeof t.effect !== 'string' || !EFFECTS.has(t.effect)) continue;
    out.push({
      key: t.key,
      effect: t.effect as TaintEffect,
      ...(typeof t.value === 'string' ? { value: t.value } : {}),
      ...(typeof t.timeAdded === 'string' ? { timeAdded: t.timeAdded } : {}),
    });
  }
  return out;
}

/** The pod's well-formed tolerations (`spec.tolerations`). */
export function tolerationsOf(pod: KubeObject): Toleration[] {
  const spec = isPlainObject(pod.spec) ? pod.spec : {};
  const raw = Array.isArray(spec.tolerations) ? spec.tolerations : [];
  return raw.filter(isPlainObject).map((t) => ({
    ...(typeof t.key === 'string' ? { key: t.key } : {}),
    ...(typeof t.operator === 'string' ? { operator: t.operator } : {}),
    ...(typeof t.value === 'string' ? { value: t.value } : {}),
    ...(typeof t.effect === 'string' ? { effect: t.effect } : {}),
    ...(typeof t.tolerationSeconds === 'number' ? { tolerationSeconds: t.tolerationSeconds } : {}),
  }));
}

export const sameTaint = (a: Taint, b: Taint): boolean => a.key === b.key && a.effect === b.effect;

/**
 * v1 Toleration.ToleratesTaint: the effect matches (or the toleration names none), the key
 * matches (or the toleration names none, which only `Exists` allows), and the value is equal
 * for `Equal` (the default operator) or anything for `Exists`.
 */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  const op = t.operator ?? '';
  if (op === 'Exists') return true;
  if (op === 'Equal' || op === '') return (t.value ?? '') === (taint.value ?? '');
  return false;
}

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
