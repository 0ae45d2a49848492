import type { KubeObject } from '../../kube/object.js';
import type { CacheObjectEvent } from './types.js';

/**
 * One change the cache applied: the key, its state before and after, and the revision. The
 * watch events derived from it (ADDED, MODIFIED, DELETED) are built on first use and kept, so
 * every watcher that sees the change the same way gets the same event instance.
 */
export class WindowEvent {
  private added: CacheObjectEvent | undefined;
  private modified: CacheObjectEvent | undefined;
  private deleted: CacheObjectEvent | undefined;

  constructor(
    readonly revision: number,
    readonly key: string,
    /** '' for a cluster-scoped key. */
    readonly namespace: string,
    /** The state after the change; undefined for a delete. */
    readonly object: KubeObject | undefined,
    /** The state before; undefined for a create. */
    readonly prevObject: KubeObject | undefined,
  ) {}

  /**
   * The event a watcher with this filter sees, or undefined for none: ADDED when the object
   * starts matching, DELETED (previous state, this revision) when it stops, MODIFIED when it
   * matches before and after. The caller has already checked the namespace.
   */
  eventFor(matches: ((o: KubeObject) => boolean) | undefined): CacheObjectEvent | undefined {
    const wasIn = this.prevObject !== undefined && (matches === undefined || matches(this.prevObject));
    const isIn = this.object !== undefined && (matches === undefined || matches(this.object));
    if (isIn) return wasIn ? this.asModified() : this.asAdded();
    return wasIn ? this.asDeleted() : undefined;
  }

  private asAdded(): CacheObjectEvent {
    this.added ??= { type: 'ADDED', object: this.must(this.object), revision: this.revision };
    return this.added;
  }

  private asModified(): CacheObjectEvent {
    this.modified ??= { type: 'MODIFIED', object: this.must(this.object), revision: this.revision };
    return this.modified;
  }

  private asDeleted(): CacheObjectEvent {
    this.deleted ??= { type: 'DELETED', object: withResourceVersion(this.must(this.prevObject), this.revision), revision: this.revision };
    return this.deleted;
  }

  private must(o: KubeObject | undefined): KubeObject {
    if (o === undefined) throw new Error(`watch cache invariant: event at ${this.revision} for ${this.key} has no object`);
    return o;
  }
}

/** A shallow copy stamped with another resourceVersion; the rest stays shared (immutable). */
export function withResourceVersion(o: KubeObject, revision: number): KubeObject {
  return { ...o, metadata: { ...o.metadata, resourceVersion: String(revision) } };
}

/** The namespace of `<prefix><namespace>/<name>`, '' for `<prefix><name>` (cluster-scoped). */
export function namespaceOfKey(prefix: string, key: string): string {
  const slash = key.indexOf('/', prefix.length);
  return slash < 0 ? '' : key.slice(prefix.length, slash);
}
