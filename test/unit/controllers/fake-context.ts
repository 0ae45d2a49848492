import pino from 'pino';
import type { ControllerContext, InformerSource } from '../../../controllers/controller.js';
import { FakeInformer } from '../../../kube/cache/fake-informer.js';
import type { Informer } from '../../../kube/cache/informer-types.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { RecordingApiClient } from '../../../kube/client/recording-api-client.js';
import { objectKey, type ResourceRef } from '../../../kube/client/resource.js';
import { FakeClock } from '../../../kube/clock.js';
import type { KubeObject } from '../../../kube/object.js';
import { RateLimitingQueue } from '../../../kube/workqueue/work-queue.js';
import type { WorkQueue } from '../../../kube/workqueue/types.js';

/** Informers without an apiserver: one FakeInformer per resource, made on first request. Always synced. */
export class FakeInformers implements InformerSource {
  readonly byResource = new Map<string, { ref: ResourceRef; informer: FakeInformer }>();
  started = false;
  stopped = false;

  start(): void {
    this.started = true;
  }

  async waitForSync(): Promise<void> {}

  async stop(): Promise<void> {
    this.stopped = true;
  }

  informerFor<T extends KubeObject = KubeObject>(r: ResourceRef): Informer<T> {
    return this.fake(r) as unknown as Informer<T>;
  }

  fake(r: ResourceRef): FakeInformer {
    const id = `${r.group}/${r.resource}`;
    let entry = this.byResource.get(id);
    if (!entry) {
      entry = { ref: r, informer: new FakeInformer() };
      this.byResource.set(id, entry);
    }
    return entry.informer;
  }
}

/**
 * A ControllerContext on fakes: a RecordingApiClient, FakeInformers, a FakeClock, a
 * RecordingEventRecorder, a silent logger and real RateLimitingQueues on the fake clock.
 * `seed` puts an object in both the fake apiserver and the cache, as if the watch had delivered
 * it; `reflect` plays the watch: it makes every informer's cache match the fake apiserver,
 * calling handlers for what was added, changed (new resourceVersion) or removed.
 */
export class FakeContext implements ControllerContext {
  readonly client = new RecordingApiClient();
  readonly informers = new FakeInformers();
  readonly clock: FakeClock;
  readonly recorder = new RecordingEventRecorder();
  readonly logger = pino({ level: 'silent' });
  readonly queues: RateLimitingQueue<string>[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.clock = new FakeClock(startMs);
  }

  newQueue(name: string): WorkQueue<string> {
    const q = new RateLimitingQueue<string>({ clock: this.clock, name });
    this.queues.push(q);
    return q;
  }

  seed<T extends KubeObject>(r: ResourceRef, obj: T): T {
    const stored = this.client.seed(r, obj) as T;
    this.informers.fake(r).add(structuredClone(stored));
    return stored;
  }

  /** Sync every informer's cache with the fake apiserver (the watch catching up). */
  async reflect(): Promise<void> {
    for (const { ref, informer } of this.informers.byResource.values()) {
      const { items } = await this.client.list(ref);
      const fresh = new Map(items.map((o) => [objectKey(o), o]));
      for (const old of informer.lister.list()) if (!fresh.has(objectKey(old))) informer.delete(old);
      for (const [key, obj] of fresh) {
        const cached = informer.lister.get(key);
        if (!cached) informer.add(obj);
        else if (cached.metadata.resourceVersion !== obj.metadata.resourceVersion) informer.update(obj);
      }
    }
  }

  /** Objects of a resource as the fake apiserver holds them. */
  async stored<T extends KubeObject>(r: ResourceRef): Promise<T[]> {
    return (await this.client.list<T>(r)).items;
  }

  /** Change an object in the fake apiserver (as another component would), without recording a call. */
  async change<T extends KubeObject>(r: ResourceRef, name: string, namespace: string | undefined, edit: (obj: T) => void): Promise<T> {
    const obj = await this.client.get<T>(r, name, namespace);
    edit(obj);
    return this.client.seed(r, obj) as T;
  }
}
