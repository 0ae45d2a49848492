import { kvInvariant } from './errors.js';
import type { KeyIndex } from './key-index.js';
import { INITIAL_REVISION, type Revision } from './revision.js';
import type { KeyValue, KvEvent, RevisionBatch } from './types.js';

/**
 * The store's changes in revision order: one batch per write transaction, for every revision
 * after the compact revision. It is what a watcher starting in the past catches up from, and
 * what compaction walks to find the keys whose history it can trim.
 *
 * Revisions are dense: every revision from `firstRevision` to the store's current one has
 * exactly one batch (a revision is only made by a write that changed something). Revision 1,
 * the empty store, has none. Batches share their kvs with the key index; the log adds one small
 * event object per change and no copies.
 */
export class RevisionLog {
  private batches: RevisionBatch[] = [];
  private first: Revision;

  /** `firstRevision`: the revision the next appended batch must have. */
  constructor(firstRevision: Revision) {
    this.first = firstRevision;
  }

  /** The revision of the oldest batch held (or of the next one, when empty). */
  get firstRevision(): Revision {
    return this.first;
  }

  /** The revision after the newest batch held. */
  get endRevision(): Revision {
    return this.first + this.batches.length;
  }

  append(batch: RevisionBatch): void {
    kvInvariant(batch.revision === this.endRevision, () => `revision log: appended ${batch.revision}, expected ${this.endRevision}`);
    kvInvariant(batch.events.length > 0, 'revision log: an empty batch');
    this.batches.push(batch);
  }

  /** The batch of `revision`, undefined if it is not held (compacted, future, or revision 1). */
  get(revision: Revision): RevisionBatch | undefined {
    return revision >= this.first ? this.batches[revision - this.first] : undefined;
  }

  /** Calls `visit` for each held batch with a revision in [from, to], in order. */
  forEach(from: Revision, to: Revision, visit: (batch: RevisionBatch) => void): void {
    const end = Math.min(to + 1, this.endRevision);
    for (let r = Math.max(from, this.first); r < end; r++) visit(this.batches[r - this.first] as RevisionBatch);
  }

  /** Forgets every batch at or before `revision`. */
  dropThrough(revision: Revision): void {
    if (revision < this.first) return;
    const count = Math.min(revision - this.first + 1, this.batches.length);
    this.batches = this.batches.slice(count);
    this.first = revision + 1;
  }
}

/**
 * Rebuilds the log of every revision after `compactRevision` up to `currentRevision` from the
 * keys' histories (after a snapshot restore). Every change after the compact revision is still
 * in the key index, with the change before it (the newest one at or before the compact revision
 * is kept), so the batches, their order (by sub) and their prevKvs come out exactly as the live
 * log had them. Returns undefined if the histories do not cover every revision densely.
 */
export function rebuildRevisionLog(
  keys: Iterable<KeyIndex>,
  compactRevision: Revision,
  currentRevision: Revision,
): RevisionLog | undefined {
  const first = Math.max(compactRevision + 1, INITIAL_REVISION + 1);
  const buckets: { sub: number; event: KvEvent }[][] = [];
  for (let r = first; r <= currentRevision; r++) buckets.push([]);
  const add = (revision: Revision, sub: number, event: KvEvent): boolean => {
    if (revision < first) return true;
    const bucket = buckets[revision - first];
    if (bucket === undefined) return false;
    bucket.push({ sub, event });
    return true;
  };
  for (const index of keys) {
    for (const g of index.generations) {
      for (let i = 0; i < g.kvs.length; i++) {
        const kv = g.kvs[i] as KeyValue;
        const prevKv = g.kvs[i - 1];
        if (!add(kv.modRevision, g.subs[i] as number, prevKv === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv })) return undefined;
      }
      if (g.tombstone !== 0) {
        const event: KvEvent = { type: 'delete', kv: tombstoneKv(index.key, g.tombstone), prevKv: g.kvs[g.kvs.length - 1] as KeyValue };
        if (!add(g.tombstone, g.tombstoneSub, event)) return undefined;
      }
    }
  }
  const log = new RevisionLog(first);
  for (let r = first; r <= currentRevision; r++) {
    const bucket = (buckets[r - first] as { sub: number; event: KvEvent }[]).sort((a, b) => a.sub - b.sub);
    if (bucket.length === 0 || bucket.some((entry, i) => entry.sub !== i)) return undefined;
    log.append({ revision: r, events: bucket.map((entry) => entry.event) });
  }
  return log;
}

const EMPTY_VALUE = new Uint8Array(0);

/** The kv of a delete event: the key and the delete's revision, everything else zero (etcd's tombstone). */
export function tombstoneKv(key: string, revision: Revision): KeyValue {
  return { key, value: EMPTY_VALUE, createRevision: 0, modRevision: revision, version: 0, lease: 0 };
}
