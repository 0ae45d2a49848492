import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import { Resources, type ResourceRef } from '../kube/client/resource.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { deleteNamespaceContent, NAMESPACED_KINDS } from './namespace-deleter.js';

/**
 * The namespace controller (kube's pkg/controller/namespace): a namespace marked for deletion
 * (the apiserver set its deletionTimestamp and phase Terminating, and refuses new content in it)
 * is emptied kind by kind; while something is left (pods terminating on their nodes, objects
 * held by finalizers) it is looked at again after `recheckMs`; once nothing is left the
 * `kubernetes` finalizer is removed through `/finalize`, and the apiserver then deletes the
 * namespace.
 */

export const NAMESPACE_FINALIZER = 'kubernetes';

export interface NamespaceControllerOptions {
  /** How long to wait before looking again at a namespace whose content is still going (kube: its estimate, often seconds). */
  readonly recheckMs?: number;
  /** The kinds to empty (default every namespaced kind picokube may serve). */
  readonly kinds?: readonly ResourceRef[];
}

export const specFinalizers = (ns: KubeObject): string[] => {
  const spec = isPlainObject(ns.spec) ? ns.spec : {};
  return Array.isArray(spec.finalizers) ? spec.finalizers.filter((f): f is string => typeof f === 'string') : [];
};

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  readonly workers = 5;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly namespaces: Informer;
  private readonly recheckMs: number;
  private readonly kinds: readonly ResourceRef[];

  constructor(ctx: ControllerContext, options: NamespaceControllerOptions = {}) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.recheckMs = options.recheckMs ?? 2000;
    this.kinds = options.kinds ?? NAMESPACED_KINDS;
    this.namespaces = ctx.informers.informerFor(Resources.namespaces);
    const enqueue = (ns: KubeObject): void => {
      if (ns.metadata.deletionTimestamp !== undefined) this.queue.add(ns.metadata.name ?? '');
    };
    this.namespaces.addHandlers({ onAdd: enqueue, onUpdate: (_, ns) => enqueue(ns) });
  }

  async sync(name: string): Promise<void> {
    const cached = this.namespaces.lister.get(name);
    if (!cached || cached.metadata.deletionTimestamp === undefined || !specFinalizers(cached).includes(NAMESPACE_FINALIZER)) return;
    const { remaining, failures } = await deleteNamespaceContent(this.client, name, this.kinds);
    if (failures.length > 0) {
      // Retried with the queue's backoff; what could be deleted was.
      throw new Error(`namespace ${name}: failed to delete some content: ${failures.join('; ')}`);
    }
    if (remaining.size > 0) {
      const left = [...remaining].map(([r, n]) => `${r} has ${n} resource instances`).join(', ');
      this.logger.debug({ namespace: name, remaining: left }, 'namespace content still going');
      this.queue.addAfter(name, this.recheckMs);
      return;
    }
    await this.finalize(name);
  }

  /** PUT /finalize without our finalizer, on a fresh copy (the apiserver deletes the namespace when none is left). */
  private async finalize(name: string): Promise<void> {
    if (!this.client.updateSubresource) throw new Error('the API client cannot PUT a namespace finalize subresource');
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(Resources.namespaces, name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const finalizers = specFinalizers(fresh);
    if (!finalizers.includes(NAMESPACE_FINALIZER)) return;
    const spec = isPlainObject(fresh.spec) ? fresh.spec : {};
    try {
      await this.client.updateSubresource(
        Resources.namespaces,
        { ...fresh, spec: { ...spec, finalizers: finalizers.filter((f) => f !== NAMESPACE_FINALIZER) } },
        'finalize',
      );
    } catch (e) {
      if (isNotFound(e)) return;
      if (isConflict(e)) this.queue.add(name);
      else throw e;
      return;
    }
    this.logger.info({ namespace: name }, 'namespace emptied and finalized');
  }
}

export function namespaceControllerFactoryWith(options: NamespaceControllerOptions): ControllerFactory {
  return (ctx) => new NamespaceController(ctx, options);
}

export const namespaceControllerFactory: ControllerFactory = (ctx) => new NamespaceController(ctx);
