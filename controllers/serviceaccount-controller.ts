import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, ApiStatusError, isAlreadyExists, isNotFound } from '../kube/client/api-client.js';
import { objectKey, Resources } from '../kube/client/resource.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';

/** The ServiceAccounts every namespace gets (kube's `serviceAccountsToEnsure`). */
export const SERVICE_ACCOUNTS_TO_ENSURE: readonly string[] = ['default'];

/**
 * The serviceaccount controller (kube's pkg/controller/serviceaccount serviceaccounts_controller):
 * every Active namespace has a `default` ServiceAccount. Keys are namespace names: a namespace
 * added or changed is synced, and so is the namespace of a ServiceAccount that was deleted, so a
 * deleted `default` comes back. A namespace that is gone or Terminating is left alone (the
 * namespace controller is emptying it).
 */
export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccount';
  readonly workers = 3;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly namespaces: Informer;
  private readonly serviceAccounts: Informer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.namespaces = ctx.informers.informerFor(Resources.namespaces);
    this.serviceAccounts = ctx.informers.informerFor(Resources.serviceaccounts);
    const enqueueNamespace = (ns: KubeObject): void => {
      if (ns.metadata.name) this.queue.add(ns.metadata.name);
    };
    this.namespaces.addHandlers({ onAdd: enqueueNamespace, onUpdate: (_, ns) => enqueueNamespace(ns) });
    this.serviceAccounts.addHandlers({
      onDelete: (sa) => {
        if (sa.metadata.namespace && SERVICE_ACCOUNTS_TO_ENSURE.includes(sa.metadata.name ?? '')) this.queue.add(sa.metadata.namespace);
      },
    });
  }

  async sync(namespace: string): Promise<void> {
    const ns = this.namespaces.lister.get(namespace);
    if (!ns || ns.metadata.deletionTimestamp !== undefined || phaseOf(ns) !== 'Active') return;
    for (const name of SERVICE_ACCOUNTS_TO_ENSURE) {
      if (this.serviceAccounts.lister.get(objectKey({ metadata: { name, namespace } }))) continue;
      try {
        await this.client.create(Resources.serviceaccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } });
        this.logger.info({ namespace, serviceAccount: name }, 'created service account');
      } catch (e) {
        // Made meanwhile (by another copy, or a cache behind the store): what we wanted.
        if (isAlreadyExists(e)) continue;
        // The namespace went away or started terminating since the cache saw it.
        if (isNotFound(e) || (e instanceof ApiStatusError && e.code === 403)) return;
        throw e;
      }
    }
  }
}

/** A namespace without a phase is Active: the apiserver defaults it so on create. */
function phaseOf(ns: KubeObject): string {
  const phase = (ns.status as { phase?: unknown } | undefined)?.phase;
  return typeof phase === 'string' && phase !== '' ? phase : 'Active';
}

export const serviceAccountControllerFactory: ControllerFactory = (ctx) => new ServiceAccountController(ctx);
