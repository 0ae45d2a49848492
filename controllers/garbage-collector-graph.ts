import { objectKey } from '../kube/client/resource.js';
import type { KubeObject, OwnerReference } from '../kube/object.js';

/**
 * The garbage collector's view of ownership (kube's GraphBuilder `uidToNode`): a node per
 * object it watches, keyed by uid, with its ownerReferences, and the reverse index from an owner's
 * uid to the uids of its dependents. The reverse index outlives the owner's node, so the
 * dependents of an owner that just vanished can still be found. Pure data; no I/O.
 */

export interface GraphNode {
  readonly uid: string;
  /** Which watched resource it is (`pods`, `replicasets.apps`, …). */
  readonly resource: string;
  /** `namespace/name` or `name`. */
  readonly key: string;
  readonly owners: readonly OwnerReference[];
  /** Has a deletionTimestamp. */
  readonly beingDeleted: boolean;
  /** Being deleted in the foreground: waits (finalizer `foregroundDeletion`) for its blocking dependents. */
  readonly deletingDependents: boolean;
  /** Being deleted with the `orphan` finalizer: its dependents are to be released. */
  readonly orphaning: boolean;
}

export const FOREGROUND_FINALIZER = 'foregroundDeletion';
export const ORPHAN_FINALIZER = 'orphan';

export function nodeFor(resource: string, obj: KubeObject): GraphNode {
  const deleting = typeof obj.metadata.deletionTimestamp === 'string' && obj.metadata.deletionTimestamp !== '';
  const finalizers = obj.metadata.finalizers ?? [];
  const owners = Array.isArray(obj.metadata.ownerReferences) ? obj.metadata.ownerReferences.filter((o) => typeof o?.uid === 'string') : [];
  return {
    uid: obj.metadata.uid ?? '',
    resource,
    key: objectKey(obj),
    owners,
    beingDeleted: deleting,
    deletingDependents: deleting && finalizers.includes(FOREGROUND_FINALIZER),
    orphaning: deleting && finalizers.includes(ORPHAN_FINALIZER),
  };
}

export class OwnershipGraph {
  private readonly nodes = new Map<string, GraphNode>();
  private readonly dependents = new Map<string, Set<string>>();

  get(uid: string): GraphNode | undefined {
    return this.nodes.get(uid);
  }

  has(uid: string): boolean {
    return this.nodes.has(uid);
  }

  get size(): number {
    return this.nodes.size;
  }

  /** Adds or replaces the node; returns the one it replaced. */
  upsert(node: GraphNode): GraphNode | undefined {
    const previous = this.nodes.get(node.uid);
    if (previous) this.unlink(previous);
    this.nodes.set(node.uid, node);
    for (const o of node.owners) {
      const deps = this.dependents.get(o.uid);
      if (deps) deps.add(node.uid);
      else this.dependents.set(o.uid, new Set([node.uid]));
    }
    return previous;
  }

  /** Removes the node (its own entry in the reverse index stays while dependents point at it). */
  remove(uid: string): GraphNode | undefined {
    const node = this.nodes.get(uid);
    if (!node) return undefined;
    this.unlink(node);
    this.nodes.delete(uid);
    return node;
  }

  /** The known dependents of an owner, present or not. */
  dependentsOf(ownerUid: string): GraphNode[] {
    const out: GraphNode[] = [];
    for (const uid of this.dependents.get(ownerUid) ?? []) {
      const n = this.nodes.get(uid);
      if (n) out.push(n);
    }
    return out;
  }

  /** The dependents whose reference to the owner has `blockOwnerDeletion: true`: what a foreground deletion waits for. */
  blockingDependentsOf(ownerUid: string): GraphNode[] {
    return this.dependentsOf(ownerUid).filter((d) => d.owners.some((o) => o.uid === ownerUid && o.blockOwnerDeletion === true));
  }

  private unlink(node: GraphNode): void {
    for (const o of node.owners) {
      const deps = this.dependents.get(o.uid);
      deps?.delete(node.uid);
      if (deps?.size === 0) this.dependents.delete(o.uid);
    }
  }
}
