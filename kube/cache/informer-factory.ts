/**
 * `InformerFactory`: shared informers (client-go's SharedInformerFactory). Every caller asking for
 * the same (resource, namespace, label selector, field selector) gets the same informer, so a
 * controller-manager with ten controllers on pods holds one pod cache and one pod watch.
 *
 * Contract:
 * - `informerFor(ref, options?)` returns the shared informer, creating it on first use; extra
 *   `indexers` are added to it (the same name with another function throws);
 * - `start()` starts every informer made so far, and informers made after `start()` start at
 *   once (client-go needs a second Start; forgetting it is a classic hang, so we do not);
 * - `waitForSync()` resolves once every informer made so far has synced (call `start()` first;
 *   it rejects if one is stopped before syncing);
 * - `stop()` stops them all; the factory is then done (`informerFor` throws).
 * It satisfies `InformerSource` (controllers/controller.ts).
 */
import type { Logger } from 'pino';
import type { ApiClient } from '../client/api-client.js';
import type { ResourceRef } from '../client/resource.js';
import type { Clock } from '../clock.js';
import type { KubeObject } from '../object.js';
import { ListWatchInformer, type ListWatchInformerOptions, type ListWatchOptions } from './informer.js';
import type { IndexFunc } from './lister.js';

export interface InformerFactoryOptions {
  readonly client: ApiClient;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly rng?: () => number;
  /** Passed to every informer (tests shorten these). */
  readonly minWatchTimeoutSeconds?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  readonly pageSize?: number;
}

export interface InformerForOptions<T extends KubeObject> extends ListWatchOptions {
  readonly indexers?: Readonly<Record<string, IndexFunc<T>>>;
}

export class InformerFactory {
  private readonly informers = new Map<string, ListWatchInformer<KubeObject>>();
  private started = false;
  private stopped = false;

  constructor(private readonly options: InformerFactoryOptions) {}

  informerFor<T extends KubeObject = KubeObject>(r: ResourceRef, options: InformerForOptions<T> = {}): ListWatchInformer<T> {
    if (this.stopped) throw new Error('InformerFactory is stopped');
    const key = [r.group, r.version, r.resource, options.namespace ?? '', options.labelSelector ?? '', options.fieldSelector ?? ''].join('|');
    let informer = this.informers.get(key) as ListWatchInformer<T> | undefined;
    if (!informer) {
      const o = this.options;
      const config: ListWatchInformerOptions<T> = {
        client: o.client,
        resource: r,
        ...(o.clock ? { clock: o.clock } : {}),
        ...(o.logger ? { logger: o.logger.child({ informer: r.resource }) } : {}),
        ...(o.rng ? { rng: o.rng } : {}),
        ...(o.minWatchTimeoutSeconds === undefined ? {} : { minWatchTimeoutSeconds: o.minWatchTimeoutSeconds }),
        ...(o.backoffInitialMs === undefined ? {} : { backoffInitialMs: o.backoffInitialMs }),
        ...(o.backoffMaxMs === undefined ? {} : { backoffMaxMs: o.backoffMaxMs }),
        ...(o.pageSize === undefined ? {} : { pageSize: o.pageSize }),
        ...(options.namespace ? { namespace: options.namespace } : {}),
        ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
        ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
      };
      informer = new ListWatchInformer<T>(config);
      this.informers.set(key, informer as unknown as ListWatchInformer<KubeObject>);
      if (this.started) informer.start();
    }
    if (options.indexers) informer.lister.addIndexers(options.indexers);
    return informer;
  }

  start(): void {
    if (this.stopped) return;
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  /** True once every informer made so far has synced. */
  hasSynced(): boolean {
    for (const i of this.informers.values()) if (!i.hasSynced()) return false;
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }
}
