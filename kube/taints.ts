import { isPlainObject, type KubeObject } from './object.js';

/**
 * core/v1 Taint and Toleration, and Toleration.ToleratesTaint, as the scheduler's
 * TaintToleration plugin, the DaemonSet controller's node fit and the node lifecycle and taint
 * eviction controllers all judge them. Pure.
 */

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

export interface Taint {
  readonly key: string;
  readonly value?: string;
  /** `NoSchedule`, `PreferNoSchedule` or `NoExecute`. */
  readonly effect: string;
  /** RFC 3339; set on NoExecute taints, the start of every toleration's countdown. */
  readonly timeAdded?: string;
}

export interface Toleration {
  readonly key?: string;
  /** `Equal` (the default, also when empty) or `Exists`. */
  readonly operator?: string;
  readonly value?: string;
  /** Empty means every effect. */
  readonly effect?: string;
  readonly tolerationSeconds?: number;
}

const EFFECTS: ReadonlySet<string> = new Set<TaintEffect>(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

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

/** The node's well-formed taints (`spec.taints`, with a known effect); malformed entries are skipped. */
export function taintsOf(node: KubeObject): Taint[] {
  const spec = isPlainObject(node.spec) ? node.spec : {};
  const raw = Array.isArray(spec.taints) ? spec.taints : [];
  const out: Taint[] = [];
  for (const t of raw) {
    if (!isPlainObject(t) || typeof t.key !== 'string' || typeof t.effect !== 'string' || !EFFECTS.has(t.effect)) continue;
    out.push({
      key: t.key,
      effect: t.effect,
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
