import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreClient } from '../raft/client/store-client.js';
import type { WatchCaches } from './storage/watch-caches.js';

/**
 * The apiserver's Prometheus metrics, named as kube-apiserver names them where it has one:
 * requests by verb, resource and code, their latency, open watchers, and the store's latency as
 * the apiserver sees it (etcd_request_duration_seconds in kube).
 */
export class ApiserverMetrics {
  readonly registry = new Registry();
  readonly requests: Counter<'verb' | 'group' | 'version' | 'resource' | 'subresource' | 'code'>;
  readonly requestSeconds: Histogram<'verb' | 'group' | 'version' | 'resource' | 'subresource'>;
  readonly storeSeconds: Histogram<'operation'>;

  constructor(caches: () => WatchCaches | undefined) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Requests by verb, group, version, resource, subresource and HTTP code.',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource', 'code'],
      registers,
    });
    this.requestSeconds = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Request latency by verb and resource (watches: until the stream starts).',
      labelNames: ['verb', 'group', 'version', 'resource', 'subresource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: 'apiserver_storage_request_duration_seconds',
      help: 'Store client request latency by operation, as the apiserver sees it.',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Open client watches by resource.',
      labelNames: ['resource'],
      registers,
      collect() {
        this.reset();
        for (const [resource, n] of caches()?.watcherCounts() ?? []) this.set({ resource }, n);
      },
    });
  }

  /** The store client with every call timed into `storeSeconds`. */
  timedStore(store: StoreClient): StoreClient {
    const seconds = this.storeSeconds;
    const timed =
      <A extends unknown[], R>(operation: string, fn: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        const end = seconds.startTimer({ operation });
        try {
          return await fn(...args);
        } finally {
          end();
        }
      };
    return {
      range: timed('range', store.range.bind(store)),
      put: timed('put', store.put.bind(store)),
      delete: timed('delete', store.delete.bind(store)),
      txn: timed('txn', store.txn.bind(store)),
      compact: timed('compact', store.compact.bind(store)),
      leaseGrant: timed('leaseGrant', store.leaseGrant.bind(store)),
      leaseKeepAlive: timed('leaseKeepAlive', store.leaseKeepAlive.bind(store)),
      leaseRevoke: timed('leaseRevoke', store.leaseRevoke.bind(store)),
      watch: store.watch.bind(store),
      status: timed('status', store.status.bind(store)),
      close: store.close.bind(store),
    };
  }
}
