import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, type ResourceRef, Resources, splitKey } from '../kube/client/resource.js';
import type { KubeObject, OwnerReference } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { FOREGROUND_FINALIZER, type GraphNode, nodeFor, ORPHAN_FINALIZER, OwnershipGraph } from './garbage-collector-graph.js';

/**
 * The garbage collector (kube's pkg/controller/garbagecollector), over the kinds that carry
 * ownerReferences here. Queue keys are `<resource>/<namespace>/<name>` (`replicasets.apps/default/web-5d4b`).
 * `sync` of an object:
 * - being deleted with the `orphan` finalizer: removes its reference from every dependent, then
 *   the finalizer (`--cascade=orphan`);
 * - being deleted with `foregroundDeletion`: waits until no dependent with blockOwnerDeletion is
 *   left, then removes the finalizer (its dependents are deleted through their own syncs);
 * - otherwise, if it has owners: an owner that is gone (confirmed by a live GET: 404 or another
 *   uid) is dangling; one being deleted in the foreground is waiting. With any owner still there,
 *   dangling and waiting references are removed; with none, the object is deleted (Foreground when
 *   an owner waits for it and it has dependents itself, else Background, or as its own finalizers say).
 */

/** The kinds whose objects the collector watches: every kind picokube's controllers or users give owners. */
export const GC_RESOURCES: readonly ResourceRef[] = [
  Resources.pods,
  Resources.replicasets,
  Resources.deployments,
  Resources.replicationcontrollers,
  Resources.daemonsets,
  Resources.statefulsets,
  Resources.jobs,
  Resources.controllerrevisions,
  Resources.persistentvolumeclaims,
  Resources.configmaps,
  Resources.secrets,
  Resources.services,
];

export function resourceId(r: ResourceRef): string {
  return r.group ? `${r.resource}.${r.group}` : r.resource;
}

/** The ResourceRef of an owner's apiVersion and kind, among the kinds picokube knows. */
function resourceForKind(apiVersion: string, kind: string): ResourceRef | undefined {
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  return Object.values(Resources).find((r) => r.group === group && r.kind === kind);
}

type OwnerState = 'solid' | 'dangling' | 'waiting';

export class GarbageCollector implements Controller {
  readonly name = 'garbagecollector';
  readonly workers = 20;
  readonly queue: WorkQueue<string>;
  readonly graph = new OwnershipGraph();
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly watched = new Map<string, { ref: ResourceRef; informer: Informer }>();

  constructor(ctx: ControllerContext, resources: readonly ResourceRef[] = GC_RESOURCES) {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    for (const ref of resources) {
      const id = resourceId(ref);
      const informer = ctx.informers.informerFor(ref);
      this.watched.set(id, { ref, informer });
      informer.addHandlers({
        onAdd: (obj) => this.observe(id, obj),
        onUpdate: (_, obj) => this.observe(id, obj),
        onDelete: (obj) => this.forget(obj),
      });
    }
  }

  private keyOf(node: GraphNode): string {
    return `${node.resource}/${node.key}`;
  }

  /** Graph upkeep and what it makes worth a look (kube's GraphBuilder.processGraphChanges). */
  private observe(resource: string, obj: KubeObject): void {
    if (!obj.metadata.uid) return;
    const node = nodeFor(resource, obj);
    const previous = this.graph.upsert(node);
    const key = this.keyOf(node);
    // An owner never seen, or one waiting for its dependents: this dependent may have to go.
    if (node.owners.some((o) => !this.graph.has(o.uid) || this.graph.get(o.uid)?.deletingDependents)) this.queue.add(key);
    if (node.orphaning) this.queue.add(key);
    if (node.deletingDependents) {
      this.queue.add(key);
      if (!previous?.deletingDependents) for (const d of this.graph.dependentsOf(node.uid)) this.queue.add(this.keyOf(d));
    }
    // A reference dropped from a waiting owner may have been the last thing it waited for.
    for (const o of previous?.owners ?? []) {
      if (node.owners.some((n) => n.uid === o.uid)) continue;
      const owner = this.graph.get(o.uid);
      if (owner?.deletingDependents) this.queue.add(this.keyOf(owner));
    }
  }

  private forget(obj: KubeObject): void {
    const uid = obj.metadata.uid ?? '';
    const node = this.graph.remove(uid);
    for (const d of this.graph.dependentsOf(uid)) this.queue.add(this.keyOf(d));
    for (const o of node?.owners ?? []) {
      const owner = this.graph.get(o.uid);
      if (owner?.deletingDependents) this.queue.add(this.keyOf(owner));
    }
  }

  async sync(key: string): Promise<void> {
    const slash = key.indexOf('/');
    const entry = this.watched.get(key.slice(0, slash));
    if (slash < 0 || !entry) return;
    const cached = entry.informer.lister.get(key.slice(slash + 1));
    if (!cached?.metadata.uid) return;
    // Act on the object as it is now, not as the cache last saw it.
    const latest = await this.getLive(entry.ref, cached);
    if (!latest || latest.metadata.uid !== cached.metadata.uid) return;
    const finalizers = latest.metadata.finalizers ?? [];
    if (latest.metadata.deletionTimestamp) {
      if (finalizers.includes(ORPHAN_FINALIZER)) await this.orphanDependents(entry.ref, latest);
      else if (finalizers.includes(FOREGROUND_FINALIZER)) await this.processDeletingDependents(entry.ref, latest);
      return;
    }
    const owners = latest.metadata.ownerReferences ?? [];
    if (owners.length === 0) return;
    const states = new Map<string, OwnerState>();
    for (const o of owners) states.set(o.uid, await this.ownerState(latest, o));
    const solid = owners.filter((o) => states.get(o.uid) === 'solid');
    const dangling = owners.filter((o) => states.get(o.uid) === 'dangling');
    const waiting = owners.filter((o) => states.get(o.uid) === 'waiting');
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return;
      // Still owned: only the references to what is gone or going are dropped.
      const drop = new Set([...dangling, ...waiting].map((o) => o.uid));
      await this.patchOwners(
        entry.ref,
        latest,
        owners.filter((o) => !drop.has(o.uid)),
      );
      return;
    }
    const deps = this.graph.dependentsOf(latest.metadata.uid ?? '');
    if (waiting.length > 0 && deps.length > 0) {
      if (deps.some((d) => d.deletingDependents)) {
        // A dependent waits for this object while an owner waits for it: unblock to break the cycle.
        await this.patchOwners(
          entry.ref,
          latest,
          owners.map((o) => ({ ...o, blockOwnerDeletion: false })),
        );
      }
      await this.deleteObject(entry.ref, latest, 'Foreground');
      return;
    }
    const policy = finalizers.includes(ORPHAN_FINALIZER) ? 'Orphan' : finalizers.includes(FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    await this.deleteObject(entry.ref, latest, policy);
  }

  private async getLive(ref: ResourceRef, obj: KubeObject): Promise<KubeObject | undefined> {
    try {
      return await this.client.get(ref, obj.metadata.name ?? '', ref.namespaced ? obj.metadata.namespace : undefined);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * Whether an owner is there (solid), gone (dangling: absent from the cache and confirmed by a live
   * GET, or replaced by an object of another uid), or being deleted in the foreground (waiting).
   * An owner of an unknown kind, or a namespaced owner of a cluster-scoped object, cannot be
   * resolved and counts as solid: nothing is deleted on a guess.
   */
  private async ownerState(dependent: KubeObject, owner: OwnerReference): Promise<OwnerState> {
    const ref = resourceForKind(owner.apiVersion, owner.kind);
    if (!ref) return 'solid';
    const namespace = dependent.metadata.namespace;
    if (ref.namespaced && !namespace) {
      this.recorder.event(
        dependent,
        'Warning',
        'OwnerRefInvalidNamespace',
        `ownerRef ${JSON.stringify(owner)} does not resolve to a valid object: a cluster-scoped object cannot have a namespaced owner`,
      );
      return 'solid';
    }
    const key = ref.namespaced ? `${namespace ?? ''}/${owner.name}` : owner.name;
    let found = this.watched.get(resourceId(ref))?.informer.lister.get(key);
    if (found?.metadata.uid !== owner.uid) {
      try {
        found = await this.client.get(ref, owner.name, ref.namespaced ? namespace : undefined);
      } catch (e) {
        if (isNotFound(e)) return 'dangling';
        throw e;
      }
    }
    if (found.metadata.uid !== owner.uid) return 'dangling';
    const deleting = typeof found.metadata.deletionTimestamp === 'string' && (found.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
    return deleting ? 'waiting' : 'solid';
  }

  private async deleteObject(ref: ResourceRef, obj: KubeObject, policy: 'Background' | 'Foreground' | 'Orphan'): Promise<void> {
    try {
      await this.client.delete(ref, obj.metadata.name ?? '', {
        ...(ref.namespaced && obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
        propagationPolicy: policy,
        preconditions: { uid: obj.metadata.uid ?? '' },
      });
      this.logger.debug({ object: `${resourceId(ref)}/${objectKey(obj)}`, policy }, 'deleted an object whose owners are gone');
    } catch (e) {
      // Gone already, or replaced by another object of the same name: nothing of ours left.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /**
   * Sets the ownerReferences to `owners` with a merge patch guarded by the object's uid and
   * resourceVersion (kube's JSON merge patch form): a concurrent change makes it a 409 and a retry.
   */
  private async patchOwners(ref: ResourceRef, obj: KubeObject, owners: readonly OwnerReference[]): Promise<void> {
    const patch = { metadata: { ownerReferences: owners.length > 0 ? owners : null, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion } };
    try {
      await this.client.patch(ref, obj.metadata.name ?? '', patch, ref.namespaced && obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {});
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async removeFinalizer(ref: ResourceRef, obj: KubeObject, finalizer: string): Promise<void> {
    const finalizers = obj.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return;
    const rest = finalizers.filter((f) => f !== finalizer);
    const patch = { metadata: { finalizers: rest.length > 0 ? rest : null, resourceVersion: obj.metadata.resourceVersion } };
    try {
      await this.client.patch(ref, obj.metadata.name ?? '', patch, ref.namespaced && obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {});
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** `--cascade=orphan`: every dependent loses its reference to the owner, then the owner its finalizer. */
  private async orphanDependents(ref: ResourceRef, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    for (const dep of this.graph.dependentsOf(uid)) {
      const entry = this.watched.get(dep.resource);
      if (!entry) continue;
      const { namespace, name } = splitKey(dep.key);
      let live: KubeObject;
      try {
        live = await this.client.get(entry.ref, name, namespace);
      } catch (e) {
        if (isNotFound(e)) continue;
        throw e;
      }
      const refs = live.metadata.ownerReferences ?? [];
      if (live.metadata.uid !== dep.uid || !refs.some((o) => o.uid === uid)) continue;
      await this.patchOwners(
        entry.ref,
        live,
        refs.filter((o) => o.uid !== uid),
      );
    }
    await this.removeFinalizer(ref, owner, ORPHAN_FINALIZER);
  }

  /** `--cascade=foreground`: the owner goes once no dependent with blockOwnerDeletion is left. */
  private async processDeletingDependents(ref: ResourceRef, owner: KubeObject): Promise<void> {
    const blocking = this.graph.blockingDependentsOf(owner.metadata.uid ?? '');
    if (blocking.length === 0) {
      await this.removeFinalizer(ref, owner, FOREGROUND_FINALIZER);
      return;
    }
    for (const d of blocking) if (!d.deletingDependents) this.queue.add(this.keyOf(d));
  }
}

export const garbageCollectorFactory: ControllerFactory = (ctx) => new GarbageCollector(ctx);
