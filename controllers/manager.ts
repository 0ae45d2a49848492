import type { Logger } from 'pino';
import type { ApiClient } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { type Clock, realClock } from '../kube/clock.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import { RateLimitingQueue } from '../kube/workqueue/work-queue.js';
import type { Controller, ControllerContext, ControllerFactory, InformerSource } from './controller.js';

/** Informers the manager can start and stop as a whole (kube/cache/informer-factory.ts's InformerFactory is one). */
export interface ManagedInformerSource extends InformerSource {
  start(): void;
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

/** Event `source.component` as kube's controllers write it (`kubectl describe` shows it as From). */
const EVENT_COMPONENTS: Readonly<Record<string, string>> = {
  replicationcontroller: 'replication-controller',
  garbagecollector: 'garbage-collector-controller',
  nodelifecycle: 'node-controller',
  'persistentvolume-binder': 'persistentvolume-controller',
  endpoint: 'endpoint-controller',
  service: 'service-controller',
};

export function eventComponentFor(controller: string): string {
  return EVENT_COMPONENTS[controller] ?? `${controller}-controller`;
}

/** Counts per controller, for /metrics and tests. */
export interface SyncStats {
  syncs: number;
  errors: number;
}

export interface ControllerManagerOptions {
  readonly client: ApiClient;
  readonly informers: ManagedInformerSource;
  readonly logger: Logger;
  /** The controllers to run, by name, in order (see registry.ts `enabledControllers`). */
  readonly controllers: readonly string[];
  /** name → factory; every name in `controllers` must be here. */
  readonly registry: Readonly<Record<string, ControllerFactory>>;
  /** The recorder for one event source (`replicaset-controller`, …: see `eventComponentFor`). */
  recorderFor(component: string): EventRecorder;
  readonly clock?: Clock;
  /** Makes each controller's queue; default a RateLimitingQueue on `clock`. */
  newQueue?(name: string): WorkQueue<string>;
  /** Called after each sync with its outcome (metrics). */
  onSync?(controller: string, durationMs: number, error: unknown): void;
}

/**
 * The controller-manager's core (kube's controller-manager run loop): builds the enabled
 * controllers (each asks the shared informers for what it watches), starts the informers, waits
 * for their caches, then runs each controller's `workers` loops: take a key, `sync` it, `forget`
 * it on success or `addRateLimited` it on a thrown error (per-key exponential backoff), `done`.
 * `stop` shuts the queues down, lets the workers finish the keys they hold, then stops the
 * informers.
 */
export class ControllerManager {
  readonly controllers: readonly Controller[];
  readonly stats = new Map<string, SyncStats>();
  private readonly logger: Logger;
  private readonly informers: ManagedInformerSource;
  private readonly clock: Clock;
  private readonly onSync: ControllerManagerOptions['onSync'];
  private workers: Promise<void>[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';

  constructor(options: ControllerManagerOptions) {
    this.logger = options.logger;
    this.informers = options.informers;
    this.clock = options.clock ?? realClock;
    this.onSync = options.onSync;
    const controllers: Controller[] = [];
    for (const name of options.controllers) {
      const factory = options.registry[name];
      if (!factory) throw new Error(`unknown controller "${name}"`);
      const ctx: ControllerContext = {
        client: options.client,
        informers: options.informers,
        clock: this.clock,
        recorder: options.recorderFor(eventComponentFor(name)),
        logger: options.logger.child({ controller: name }),
        newQueue: options.newQueue ?? ((queueName) => new RateLimitingQueue<string>({ clock: this.clock, name: queueName })),
      };
      const controller = factory(ctx);
      controllers.push(controller);
      this.stats.set(controller.name, { syncs: 0, errors: 0 });
    }
    this.controllers = controllers;
  }

  /**
   * Starts the informers, waits until their caches are complete, then starts every worker.
   * Resolves once the workers run (not when they end); a `stop` while waiting wins.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`controller manager already ${this.state}`);
    this.state = 'starting';
    this.informers.start();
    await this.informers.waitForSync();
    if (this.state !== 'starting') return;
    this.state = 'running';
    for (const c of this.controllers) {
      this.logger.info({ controller: c.name, workers: c.workers }, 'starting controller');
      for (let i = 0; i < Math.max(1, c.workers); i++) this.workers.push(this.runWorker(c));
    }
  }

  /** Shuts the queues down, waits for the workers to drain, stops the informers. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const c of this.controllers) c.queue.shutDown();
    await Promise.all(this.workers);
    this.workers = [];
    await this.informers.stop();
  }

  private async runWorker(c: Controller): Promise<void> {
    for (;;) {
      const key = await c.queue.get();
      if (key === undefined) return;
      await this.processKey(c, key);
    }
  }

  /** One key through one controller: never throws (a bad object must not kill the worker). */
  private async processKey(c: Controller, key: string): Promise<void> {
    const stats = this.stats.get(c.name);
    const startedMs = this.clock.now();
    let error: unknown;
    try {
      await c.sync(key);
      c.queue.forget(key);
    } catch (err) {
      error = err;
      const retries = c.queue.retries(key);
      this.logger.warn({ controller: c.name, key, retries, err: (err as Error)?.message ?? String(err) }, 'sync failed; retrying with backoff');
      c.queue.addRateLimited(key);
    } finally {
      c.queue.done(key);
    }
    if (stats) {
      stats.syncs++;
      if (error !== undefined) stats.errors++;
    }
    try {
      this.onSync?.(c.name, this.clock.now() - startedMs, error);
    } catch {
      // Metrics must not break the loop.
    }
  }
}
