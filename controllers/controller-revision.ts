import { type ApiClient, isAlreadyExists, isNotFound } from '../kube/client/api-client.js';
import { Resources } from '../kube/client/resource.js';
import { isPlainObject, type KubeObject, type OwnerReference } from '../kube/object.js';

/**
 * ControllerRevisions: the history objects DaemonSets and StatefulSets keep of their pod templates
 * (kube's pkg/controller/history). A revision's `data` is the strategic merge patch that puts the
 * template back, `{"spec":{"template":{…,"$patch":"replace"}}}`, which is exactly what
 * `kubectl rollout undo` sends back to the owner; `revision` numbers the history, the highest
 * being the current template. Names are `<owner>-<hash>`; the hash is FNV-1 (32 bit) of the
 * data's JSON, salted with the owner's collisionCount, in kube's "safe" alphabet.
 */

/** The label carrying the revision hash, on the revisions and on the pods made from them. */
export const CONTROLLER_REVISION_HASH_LABEL = 'controller-revision-hash';

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

/** The data of a revision of this pod template: the patch that restores it. */
export function revisionData(template: unknown): Record<string, unknown> {
  const copy = isPlainObject(template) ? structuredClone(template) : {};
  copy.$patch = 'replace';
  return { spec: { template: copy } };
}

/** The pod template a revision's data restores (without the patch directive). */
export function templateOfRevision(rev: ControllerRevision): Record<string, unknown> | undefined {
  const spec = isPlainObject(rev.data) ? rev.data.spec : undefined;
  const template = isPlainObject(spec) ? spec.template : undefined;
  if (!isPlainObject(template)) return undefined;
  const copy = structuredClone(template);
  delete copy.$patch;
  return copy;
}

/** JSON with object keys sorted, as Go marshals a map: equal data gives equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** apimachinery's rand.SafeEncodeString: no vowels, no look-alikes, so no words and no confusion. */
export function safeEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** 32-bit FNV-1 (Go's fnv.New32) over UTF-8 bytes. */
export function fnv1_32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (const byte of new TextEncoder().encode(text)) {
    h = Math.imul(h, 0x01000193) >>> 0;
    h = (h ^ byte) >>> 0;
  }
  return h;
}

/** The hash of revision data (history.HashControllerRevision): the collision count, when set, is hashed in after it. */
export function hashRevision(data: unknown, collisionCount: number | undefined): string {
  let h = fnv1_32(canonicalJson(data));
  if (collisionCount !== undefined && collisionCount !== 0) h = fnv1_32(String(collisionCount), h);
  return safeEncode(String(h));
}

/** `<owner>-<hash>`, the owner's name cut so the whole stays a valid name (history.ControllerRevisionName). */
export function revisionName(ownerName: string, hash: string): string {
  return `${ownerName.length > 223 ? ownerName.slice(0, 223) : ownerName}-${hash}`;
}

export function controllerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A new revision of `owner` (not yet written): labels are the template's plus the hash, annotations the owner's. */
export function newControllerRevision(
  owner: KubeObject,
  templateLabels: Readonly<Record<string, string>>,
  data: unknown,
  revision: number,
  collisionCount: number | undefined,
): ControllerRevision {
  const hash = hashRevision(data, collisionCount);
  const annotations = { ...(owner.metadata.annotations ?? {}) };
  // The owner's applied configuration says nothing about this revision; kubectl would show it as the revision's.
  delete annotations['kubectl.kubernetes.io/last-applied-configuration'];
  return {
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: {
      name: revisionName(owner.metadata.name ?? '', hash),
      ...(owner.metadata.namespace ? { namespace: owner.metadata.namespace } : {}),
      labels: { ...templateLabels, [CONTROLLER_REVISION_HASH_LABEL]: hash },
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [controllerRefTo(owner)],
    },
    data: structuredClone(data),
    revision,
  };
}

export function revisionNumber(rev: ControllerRevision): number {
  return typeof rev.revision === 'number' ? rev.revision : 0;
}

/** Oldest first, by revision number then name (history.SortControllerRevisions). */
export function sortRevisions(revs: readonly ControllerRevision[]): ControllerRevision[] {
  return [...revs].sort((a, b) => revisionNumber(a) - revisionNumber(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

export function nextRevisionNumber(revs: readonly ControllerRevision[]): number {
  return revs.reduce((max, r) => Math.max(max, revisionNumber(r)), 0) + 1;
}

/** Whether two revisions restore the same template. */
export function sameRevisionData(a: ControllerRevision, b: ControllerRevision): boolean {
  return canonicalJson(a.data) === canonicalJson(b.data);
}

/** The revisions whose data equals `target`'s, oldest first (history.FindEqualRevisions). */
export function findEqualRevisions(revs: readonly ControllerRevision[], target: ControllerRevision): ControllerRevision[] {
  const text = canonicalJson(target.data);
  return sortRevisions(revs.filter((r) => canonicalJson(r.data) === text));
}

export interface CreatedRevision {
  readonly revision: ControllerRevision;
  /** The owner's collisionCount after the write (bumped once per hash collision). */
  readonly collisionCount: number;
}

/**
 * Writes a revision, resolving name collisions as kube does: an existing revision of the same
 * name with the same data is this revision (a previous sync wrote it); one with other data is a
 * hash collision, so the collision count goes up and the name changes.
 */
export async function createControllerRevision(
  client: ApiClient,
  owner: KubeObject,
  templateLabels: Readonly<Record<string, string>>,
  data: unknown,
  revision: number,
  collisionCount: number,
): Promise<CreatedRevision> {
  let count = collisionCount;
  for (let attempt = 0; attempt < 100; attempt++) {
    const rev = newControllerRevision(owner, templateLabels, data, revision, count);
    try {
      return { revision: await client.create(Resources.controllerrevisions, rev), collisionCount: count };
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await client.get<ControllerRevision>(Resources.controllerrevisions, rev.metadata.name ?? '', owner.metadata.namespace);
      const ours = existing.metadata.ownerReferences?.some((o) => o.uid === owner.metadata.uid) ?? false;
      if (ours && sameRevisionData(existing, rev)) return { revision: existing, collisionCount: count };
      count += 1;
    }
  }
  throw new Error(`could not find a free ControllerRevision name for ${owner.metadata.name ?? ''} after 100 collisions`);
}

/** Gives an existing revision a new number (a rollback makes an old template current again). */
export async function renumberRevision(client: ApiClient, rev: ControllerRevision, revision: number): Promise<ControllerRevision> {
  const next = structuredClone(rev);
  next.revision = revision;
  return client.update(Resources.controllerrevisions, next);
}

export interface RevisionHistory {
  /** The revision of the owner's current template, written if it was new. */
  readonly updateRevision: ControllerRevision;
  /** Every revision owned, after the sync (the update revision included). */
  readonly revisions: ControllerRevision[];
  readonly collisionCount: number;
}

/**
 * Makes sure the owner's current template has a revision and that it is the newest
 * (StatefulSet's getStatefulSetRevisions, DaemonSet's constructHistory): the latest revision if it
 * already holds this template, an older equal one renumbered to the top (a rollback), or a new one.
 */
export async function syncUpdateRevision(
  client: ApiClient,
  owner: KubeObject,
  owned: readonly ControllerRevision[],
  templateLabels: Readonly<Record<string, string>>,
  template: unknown,
  collisionCount: number,
): Promise<RevisionHistory> {
  const revisions = sortRevisions(owned);
  const data = revisionData(template);
  const next = nextRevisionNumber(revisions);
  const probe = newControllerRevision(owner, templateLabels, data, next, collisionCount);
  const equal = findEqualRevisions(revisions, probe);
  const latest = revisions[revisions.length - 1];
  const newestEqual = equal[equal.length - 1];
  if (newestEqual && latest && newestEqual.metadata.name === latest.metadata.name) {
    return { updateRevision: latest, revisions, collisionCount };
  }
  if (newestEqual) {
    const renumbered = await renumberRevision(client, newestEqual, next);
    return { updateRevision: renumbered, revisions: revisions.map((r) => (r.metadata.name === renumbered.metadata.name ? renumbered : r)), collisionCount };
  }
  const created = await createControllerRevision(client, owner, templateLabels, data, next, collisionCount);
  const others = revisions.filter((r) => r.metadata.name !== created.revision.metadata.name);
  return { updateRevision: created.revision, revisions: [...others, created.revision], collisionCount: created.collisionCount };
}

/**
 * Deletes the oldest revisions beyond `limit` that nothing lives on (no pod carries them and
 * they are neither current nor the update target); live ones never count against the limit.
 */
export async function truncateHistory(
  client: ApiClient,
  revisions: readonly ControllerRevision[],
  live: ReadonlySet<string>,
  limit: number,
): Promise<string[]> {
  const dead = sortRevisions(revisions).filter((r) => !live.has(r.metadata.name ?? ''));
  const excess = dead.slice(0, Math.max(0, dead.length - Math.max(0, limit)));
  const deleted: string[] = [];
  for (const r of excess) {
    const name = r.metadata.name ?? '';
    try {
      await client.delete(Resources.controllerrevisions, name, {
        ...(r.metadata.namespace ? { namespace: r.metadata.namespace } : {}),
        preconditions: { uid: r.metadata.uid ?? '' },
      });
      deleted.push(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return deleted;
}
