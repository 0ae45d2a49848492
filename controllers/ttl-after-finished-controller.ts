import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import { objectKey, Resources, splitKey } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { finishTimeMs, type Job } from './job-status.js';
import { isBeingDeleted } from './workload-fields.js';

/**
 * The TTL-after-finished controller (kube's pkg/controller/ttlafterfinished): a finished Job with
 * `spec.ttlSecondsAfterFinished` is deleted that many seconds after it finished, its pods with it
 * (propagation Background, as the brief asks; kube itself uses Foreground here). The expiry is
 * checked again on a fresh read before deleting, since the TTL may have been changed meanwhile.
 */

function ttlSecondsOf(job: Job): number | undefined {
  const ttl = job.spec?.ttlSecondsAfterFinished;
  return typeof ttl === 'number' && Number.isInteger(ttl) && ttl >= 0 ? ttl : undefined;
}

/** When the Job is to be deleted, ms since the epoch; undefined when it is not finished, has no TTL, or is already going. */
export function expiresAtMs(job: Job): number | undefined {
  if (isBeingDeleted(job)) return undefined;
  const ttl = ttlSecondsOf(job);
  const finished = finishTimeMs(job);
  if (ttl === undefined || finished === undefined) return undefined;
  return finished + ttl * 1000;
}

export class TtlAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';
  readonly workers = 5;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly jobs: Informer<Job>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.jobs = ctx.informers.informerFor<Job>(Resources.jobs);
    const enqueue = (job: Job): void => {
      if (expiresAtMs(job) !== undefined) this.queue.add(objectKey(job));
    };
    this.jobs.addHandlers({ onAdd: enqueue, onUpdate: (_, job) => enqueue(job) });
  }

  async sync(key: string): Promise<void> {
    const cached = this.jobs.lister.get(key);
    if (!cached || this.waitUntilExpired(key, cached)) return;
    const { namespace, name } = splitKey(key);
    let fresh: Job;
    try {
      fresh = await this.client.get<Job>(Resources.jobs, name, namespace);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (this.waitUntilExpired(key, fresh)) return;
    try {
      await this.client.delete(Resources.jobs, name, {
        ...(namespace ? { namespace } : {}),
        propagationPolicy: 'Background',
        preconditions: { uid: fresh.metadata.uid ?? '' },
      });
      this.logger.info({ job: key }, 'deleted a finished job whose TTL expired');
    } catch (e) {
      // Gone already, or replaced by a new Job of the same name: nothing of ours to delete.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }

  /** True (and the key queued for the expiry) when the Job is not due yet; true as well when it never will be. */
  private waitUntilExpired(key: string, job: Job): boolean {
    const at = expiresAtMs(job);
    if (at === undefined) return true;
    const remaining = at - this.clock.now();
    if (remaining > 0) {
      this.queue.addAfter(key, remaining);
      return true;
    }
    return false;
  }
}

export const ttlAfterFinishedControllerFactory: ControllerFactory = (ctx) => new TtlAfterFinishedController(ctx);
