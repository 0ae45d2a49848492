import type { KubeObject } from '../../kube/object.js';
import { isPlainObject } from '../../kube/object.js';
import type { ResourceDef } from '../registry/types.js';
import { badRequest, conflict } from '../status.js';
import { rfc3339 } from '../time.js';

/**
 * What a DELETE does to an object (kube's `rest.BeforeDelete` + the finalizer dance of
 * `registry/generic/registry/store.go`): check preconditions, then either remove the object at
 * once, or mark it (`deletionTimestamp`) and leave it to whoever owns the remaining finalizers
 * or the graceful termination: the node agent for a pod on a node, the namespace controller for a
 * namespace, the garbage collector for `foregroundDeletion` and `orphan`.
 */

export interface DeleteOptions {
  readonly gracePeriodSeconds?: number;
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
  readonly propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
}

export function parseDeleteOptions(
  body: unknown,
  query: { gracePeriodSeconds?: number | undefined; propagationPolicy?: string | undefined; orphanDependents?: boolean | undefined },
): DeleteOptions {
  const opts: {
    gracePeriodSeconds?: number;
    preconditions?: { uid?: string; resourceVersion?: string };
    propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  } = {};
  if (body !== undefined) {
    if (!isPlainObject(body)) throw badRequest('DeleteOptions must be an object');
    if (body.kind !== undefined && body.kind !== 'DeleteOptions') throw badRequest(`expected a DeleteOptions body, got kind ${JSON.stringify(body.kind)}`);
    const g = body.gracePeriodSeconds;
    if (g !== undefined && g !== null) {
      if (typeof g !== 'number' || !Number.isInteger(g)) throw badRequest('gracePeriodSeconds must be an integer');
      opts.gracePeriodSeconds = g;
    }
    const p = body.preconditions;
    if (p !== undefined && p !== null) {
      if (!isPlainObject(p)) throw badRequest('preconditions must be an object');
      const pre: { uid?: string; resourceVersion?: string } = {};
      if (typeof p.uid === 'string') pre.uid = p.uid;
      if (typeof p.resourceVersion === 'string') pre.resourceVersion = p.resourceVersion;
      opts.preconditions = pre;
    }
    if (body.propagationPolicy !== undefined && body.propagationPolicy !== null) opts.propagationPolicy = policy(body.propagationPolicy);
    if (body.orphanDependents === true && opts.propagationPolicy === undefined) opts.propagationPolicy = 'Orphan';
  }
  if (query.gracePeriodSeconds !== undefined) opts.gracePeriodSeconds = query.gracePeriodSeconds;
  if (query.propagationPolicy !== undefined) opts.propagationPolicy = policy(query.propagationPolicy);
  if (query.orphanDependents === true && opts.propagationPolicy === undefined) opts.propagationPolicy = 'Orphan';
  return opts;
}

function policy(v: unknown): 'Orphan' | 'Background' | 'Foreground' {
  if (v === 'Orphan' || v === 'Background' || v === 'Foreground') return v;
  throw badRequest(`propagationPolicy: Unsupported value: ${JSON.stringify(v)}: supported values: "Foreground", "Background", "Orphan"`);
}

export function checkPreconditions(def: ResourceDef, obj: KubeObject, opts: DeleteOptions): void {
  const pre = opts.preconditions;
  const name = obj.metadata.name ?? '';
  if (pre?.uid !== undefined && pre.uid !== obj.metadata.uid) {
    throw conflict(def, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`);
  }
  if (pre?.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw conflict(
      def,
      name,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
    );
  }
}

export type DeletePlan =
  /** Remove it from the store now. */
  | { readonly action: 'delete' }
  /** Write this marked state and leave the object for its finalizers or graceful termination. */
  | { readonly action: 'mark'; readonly object: KubeObject }
  /** Already marked and nothing to shorten: answer with it as it is. */
  | { readonly action: 'none' };

/** Decides what a DELETE does; `nowMs` is the server clock. Pure. */
export function planDelete(def: ResourceDef, current: KubeObject, opts: DeleteOptions, nowMs: number): DeletePlan {
  const obj = structuredClone(current);
  const meta = obj.metadata;
  const finalizers = new Set(meta.finalizers ?? []);
  if (opts.propagationPolicy === 'Foreground') {
    finalizers.add('foregroundDeletion');
    finalizers.delete('orphan');
  } else if (opts.propagationPolicy === 'Orphan') {
    finalizers.add('orphan');
    finalizers.delete('foregroundDeletion');
  }
  const grace = gracePeriodFor(def, obj, opts);
  const alreadyMarked = meta.deletionTimestamp !== undefined;
  const namespaceFinalizers = def.kind === 'Namespace' && ((obj.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  if (finalizers.size === 0 && grace === 0 && !namespaceFinalizers) return { action: 'delete' };
  if (alreadyMarked) {
    const currentGrace = meta.deletionGracePeriodSeconds ?? 0;
    const sameFinalizers = finalizers.size === (meta.finalizers ?? []).length;
    if (grace >= currentGrace && sameFinalizers) return { action: 'none' };
    if (grace < currentGrace) {
      meta.deletionGracePeriodSeconds = grace;
      meta.deletionTimestamp = rfc3339(nowMs + grace * 1000);
    }
  } else {
    meta.deletionTimestamp = rfc3339(nowMs + grace * 1000);
    meta.deletionGracePeriodSeconds = grace;
    if (def.kind === 'Namespace') {
      const status = isPlainObject(obj.status) ? obj.status : {};
      obj.status = { ...status, phase: 'Terminating' };
    }
  }
  if (finalizers.size > 0) meta.finalizers = [...finalizers];
  return { action: 'mark', object: obj };
}

/**
 * Only pods terminate gracefully, and only once they are on a node and not finished: a node agent
 * must stop them. Everything else goes at once (or waits only for finalizers).
 */
function gracePeriodFor(def: ResourceDef, obj: KubeObject, opts: DeleteOptions): number {
  if (def.kind !== 'Pod') return 0;
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  if (!spec.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  const requested = opts.gracePeriodSeconds ?? spec.terminationGracePeriodSeconds ?? 30;
  // kube: a negative request means "the default", and 0 means "now" (force).
  return Math.max(0, requested < 0 ? 1 : requested);
}
