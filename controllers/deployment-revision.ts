import { isPlainObject } from '../kube/object.js';
import { maxSurge } from './deployment-util.js';
import { annotationsOf, byCreationTimestamp, specReplicas } from './workload-fields.js';
import type { Deployment, PodTemplateSpec, ReplicaSet } from './workload-types.js';

/**
 * Revisions of a Deployment (kube's deployment_util.go): each ReplicaSet is one pod template,
 * named and labelled by the template's hash, and numbered by the `deployment.kubernetes.io/
 * revision` annotation that `kubectl rollout history` and `undo` read.
 */

export const RevisionAnnotation = 'deployment.kubernetes.io/revision';
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
/** The label that tells the ReplicaSets (and their pods) of one Deployment apart. */
export const PodTemplateHashLabel = 'pod-template-hash';
/** Longest `revision-history` annotation kept (kube's default maxRevHistoryLengthInChars). */
export const MAX_REVISION_HISTORY_CHARS = 2000;

/** Deployment annotations that are not copied onto its ReplicaSets. */
const SKIP_COPY = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  RevisionAnnotation,
  RevisionHistoryAnnotation,
  DesiredReplicasAnnotation,
  MaxReplicasAnnotation,
  'deprecated.deployment.rollback.to',
]);

/** JSON with object keys sorted: the same template always gives the same bytes. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isPlainObject(v)) {
    const keys = Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`).join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

function fnv32a(bytes: Uint8Array, seed = 0x811c9dc5): number {
  let h = seed;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The alphabet of apimachinery's SafeEncodeString: no vowels (no words), no look-alikes. */
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHANUMS[s.charCodeAt(i) % SAFE_ALPHANUMS.length];
  return out;
}

/**
 * The pod-template-hash of a template (kube's ComputeHash): FNV-32a of the template's canonical
 * JSON, then of the collision count (4 bytes, little-endian) when there is one, printed in
 * decimal and mapped through the safe alphabet. Not byte-identical to upstream (which hashes a
 * Go dump of the struct), but as stable: equal templates, equal hashes.
 */
export function computeHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let h = fnv32a(new TextEncoder().encode(canonicalJson(template ?? {})));
  if (collisionCount !== undefined) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(b, h);
  }
  return safeEncode(String(h));
}

/** Drop what Go's semantic equality treats as absent: undefined, null, `{}` and `[]`. */
function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map((x) => normalize(x) ?? null);
  if (isPlainObject(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const n = normalize(v[k]);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === null ? undefined : v;
}

/** Two pod templates are the same revision: equal once the pod-template-hash label is ignored (kube's EqualIgnoreHash). */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (t: PodTemplateSpec | undefined): unknown => {
    const c = structuredClone(t ?? {});
    if (c.metadata?.labels) delete c.metadata.labels[PodTemplateHashLabel];
    return normalize(c);
  };
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** The ReplicaSet's revision number; 0 when missing, undefined when unreadable. */
export function revisionOf(obj: { metadata?: { annotations?: unknown } }): number | undefined {
  const v = annotationsOf(obj)[RevisionAnnotation];
  if (v === undefined || v === '') return 0;
  return /^\d+$/.test(v) ? Number(v) : undefined;
}

export function maxRevision(rss: readonly ReplicaSet[]): number {
  let max = 0;
  for (const rs of rss) max = Math.max(max, revisionOf(rs) ?? 0);
  return max;
}

/** Lower revision first; equal revisions by age (kube's ReplicaSetsByRevision). */
export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  const ra = revisionOf(a) ?? 0;
  const rb = revisionOf(b) ?? 0;
  return ra !== rb ? ra - rb : byCreationTimestamp(a, b);
}

/**
 * The ReplicaSet running the Deployment's current template: the oldest one whose template equals
 * it ignoring the hash (kube's FindNewReplicaSet; several equal ones can exist after a hash
 * collision, and the oldest wins so the choice is stable).
 */
export function findNewReplicaSet(d: Deployment, rss: readonly ReplicaSet[]): ReplicaSet | undefined {
  return [...rss].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** Every ReplicaSet but the new one. */
export function findOldReplicaSets(rss: readonly ReplicaSet[], newRS: ReplicaSet | undefined): ReplicaSet[] {
  return rss.filter((rs) => rs.metadata.uid !== newRS?.metadata.uid);
}

function setAnnotation(rs: ReplicaSet, key: string, value: string): boolean {
  const a = annotationsOf(rs);
  if (a[key] === value) return false;
  rs.metadata.annotations = { ...a, [key]: value };
  return true;
}

/** Copies the Deployment's own annotations (change-cause, …) onto the ReplicaSet; true if any changed. */
function copyDeploymentAnnotations(d: Deployment, rs: ReplicaSet): boolean {
  let changed = false;
  for (const [k, v] of Object.entries(annotationsOf(d))) {
    if (SKIP_COPY.has(k)) continue;
    if (setAnnotation(rs, k, v)) changed = true;
  }
  return changed;
}

/**
 * `desired-replicas` (the Deployment's replicas) and `max-replicas` (replicas + maxSurge), which
 * proportional scaling reads to know what a ReplicaSet was sized for; true if any changed.
 */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = setAnnotation(rs, DesiredReplicasAnnotation, String(desired));
  const b = setAnnotation(rs, MaxReplicasAnnotation, String(max));
  return a || b;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = annotationsOf(rs);
  return a[DesiredReplicasAnnotation] !== String(desired) || a[MaxReplicasAnnotation] !== String(max);
}

/**
 * Stamps a (new or reused) ReplicaSet with the Deployment's annotations and `newRevision` (kube's
 * SetNewReplicaSetAnnotations). A ReplicaSet that already had a lower revision is being rolled
 * back to: its old number is appended to `revision-history` (bounded in length). A ReplicaSet
 * about to be created (`exists` false) also gets the replicas annotations. Mutates `rs`; true
 * when anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotations(d, rs);
  const oldText = annotationsOf(rs)[RevisionAnnotation] ?? '';
  const old = revisionOf(rs);
  if (old === undefined) return changed;
  if (old < newRevision) {
    setAnnotation(rs, RevisionAnnotation, String(newRevision));
    changed = true;
    if (oldText !== '') {
      const history = annotationsOf(rs)[RevisionHistoryAnnotation] ?? '';
      const revisions = history === '' ? [] : history.split(',');
      revisions.push(oldText);
      while (revisions.join(',').length > MAX_REVISION_HISTORY_CHARS && revisions.length > 1) revisions.shift();
      setAnnotation(rs, RevisionHistoryAnnotation, revisions.join(','));
    }
  }
  if (!exists) {
    const replicas = specReplicas(d);
    if (setReplicasAnnotations(rs, replicas, replicas + maxSurge(d))) changed = true;
  }
  return changed;
}

/**
 * The old ReplicaSets to delete so that at most `revisionHistoryLimit` remain (kube's
 * cleanupDeployment): the lowest revisions first, and only those that are scaled to 0, have no
 * pods, have had their spec observed, and are not already being deleted.
 */
export function replicaSetsToCleanUp(oldRSs: readonly ReplicaSet[], limit: number | undefined): ReplicaSet[] {
  if (limit === undefined) return [];
  const alive = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = alive.length - limit;
  if (diff <= 0) return [];
  const sorted = [...alive].sort(byRevision);
  const out: ReplicaSet[] = [];
  for (const rs of sorted.slice(0, diff)) {
    const observed = typeof rs.status?.observedGeneration === 'number' ? rs.status.observedGeneration : 0;
    if ((rs.status?.replicas ?? 0) !== 0 || specReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > observed) continue;
    out.push(rs);
  }
  return out;
}
