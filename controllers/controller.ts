import type { Logger } from 'pino';
import type { ApiClient } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import type { ResourceRef } from '../kube/client/resource.js';
import type { Informer } from '../kube/cache/informer-types.js';
import type { Clock } from '../kube/clock.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';

/** Shared informers, one per resource: every controller that asks for pods gets the same one. */
export interface InformerSource {
  informerFor<T extends KubeObject = KubeObject>(r: ResourceRef): Informer<T>;
}

/** What the controller-manager hands each controller. */
export interface ControllerContext {
  readonly client: ApiClient;
  readonly informers: InformerSource;
  readonly clock: Clock;
  readonly recorder: EventRecorder;
  readonly logger: Logger;
  /** Makes the controller's queue (real: rate-limited on the context's clock). */
  newQueue(name: string): WorkQueue<string>;
}

/**
 * A level-triggered controller (client-go's pattern): its constructor asks the context for the
 * informers it needs and registers handlers that only enqueue keys in `queue`; the manager runs
 * `workers` loops that take a key, call `sync(key)`, then `forget` it on success or
 * `addRateLimited` it on a thrown error, and finally `done`. `sync` reads the caches and
 * converges the world towards the desired state; it is safe to run any number of times.
 */
export interface Controller {
  readonly name: string;
  readonly workers: number;
  readonly queue: WorkQueue<string>;
  sync(key: string): Promise<void>;
}

export type ControllerFactory = (ctx: ControllerContext) => Controller;
