import { pino } from 'pino';
import type { ControllerContext, InformerSource } from '../../../controllers/controller.js';
import { FakeInformer } from '../../../kube/cache/fake-informer.js';
import type { Informer } from '../../../kube/cache/informer-types.js';
import type { DeleteOptions, PatchOptions } from '../../../kube/client/api-client.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { RecordingApiClient } from '../../../kube/client/recording-api-client.js';
import { objectKey, type ResourceRef } from '../../../kube/client/resource.js';
import { FakeClock } from '../../../kube/clock.js';
import type { KubeObject } from '../../../kube/object.js';
import type { WorkQueue } from '../../../kube/workqueue/types.js';

/**
 * The test bench for the Job, DaemonSet, StatefulSet, TTL and garbage-collector controllers:
 * FakeInformers per resource, a RecordingApiClient, a FakeClock, a RecordingEventRecorder and a
 * queue that records what was added and with which delay. `reflect()` plays the watch: it
 * copies what the fake apiserver holds into the caches (calling the handlers), so a test can
 * run sync, reflect, change pods, sync again.
 */

/** A work queue that only records: the test decides when to sync. */
export class RecordingQueue implements WorkQueue<string> {
  readonly added = new Set<string>();
  readonly delays: { key: string; delayMs: number }[] = [];
  private stopped = false;

  add(key: string): void {
    this.added.add(key);
  }
  addAfter(key: string, delayMs: number): void {
    this.delays.push({ key, delayMs });
  }
  addRateLimited(key: string): void {
    this.added.add(key);
  }
  forget(): void {}
  retries(): number {
    return 0;
  }
  async get(): Promise<string | undefined> {
    const [first] = this.added;
    if (first !== undefined) this.added.delete(first);
    return first;
  }
  done(): void {}
  len(): number {
    return this.added.size;
  }
  shutDown(): void {
    this.stopped = true;
  }
  shuttingDown(): boolean {
    return this.stopped;
  }
  /** The keys added since the last take, and forget them. */
  take(): string[] {
    const keys = [...this.added];
    this.added.clear();
    return keys;
  }
  lastDelay(key: string): number | undefined {
    return this.delays.filter((d) => d.key === key).at(-1)?.delayMs;
  }
}

/**
 * The recording client with the apiserver's finalizer rules (apiserver/strategy/deletion.ts): a
 * DELETE of an object with finalizers, or with Foreground/Orphan propagation, only marks it
 * (`deletionTimestamp`, plus `foregroundDeletion`/`orphan`); a write that removes the last
 * finalizer of a marked object deletes it. Calls are recorded as the caller made them.
 */
export class FinalizingApiClient extends RecordingApiClient {
  constructor(private readonly nowMs: () => number) {
    super();
  }

  override async delete(r: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const current = await this.get(r, name, options.namespace).catch(() => undefined);
    const removed = await super.delete(r, name, options);
    if (!current) return removed;
    const finalizers = new Set(current.metadata.finalizers ?? []);
    if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    if (finalizers.size === 0) return removed;
    const marked = structuredClone(current);
    marked.metadata.finalizers = [...finalizers];
    marked.metadata.deletionTimestamp ??= `${new Date(this.nowMs()).toISOString().slice(0, 19)}Z`;
    return this.seed(r, marked);
  }

  override async patch<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    return this.vanishIfDone(r, await super.patch<T>(r, name, patch, options));
  }

  override async update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    return this.vanishIfDone(r, await super.update<T>(r, obj));
  }

  private async vanishIfDone<T extends KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    if (obj.metadata.deletionTimestamp && (obj.metadata.finalizers ?? []).length === 0) {
      await super.delete(r, obj.metadata.name ?? '', obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {});
      // That delete is the apiserver's doing, not the caller's.
      this.calls.pop();
    }
    return obj;
  }
}

export class FakeInformers implements InformerSource {
  readonly byResource = new Map<string, { ref: ResourceRef; informer: FakeInformer }>();

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

export interface Bench {
  readonly ctx: ControllerContext;
  readonly client: FinalizingApiClient;
  readonly informers: FakeInformers;
  readonly clock: FakeClock;
  readonly recorder: RecordingEventRecorder;
  readonly queue: RecordingQueue;
  /** Put an object in both the fake apiserver and the cache (as a watch would deliver it). */
  seed<T extends KubeObject>(r: ResourceRef, obj: T): T;
  /** Make every cache match the fake apiserver, calling handlers for what changed. */
  reflect(): Promise<void>;
  /** Change an object in the fake apiserver and reflect it (a kubelet's status write, a user's edit). */
  mutate<T extends KubeObject>(r: ResourceRef, name: string, namespace: string | undefined, fn: (obj: T) => void): Promise<T>;
}

export function newBench(startMs = Date.UTC(2026, 0, 1)): Bench {
  const clock = new FakeClock(startMs);
  const client = new FinalizingApiClient(() => clock.now());
  const informers = new FakeInformers();
  const recorder = new RecordingEventRecorder();
  const queue = new RecordingQueue();
  const ctx: ControllerContext = {
    client,
    informers,
    clock,
    recorder,
    logger: pino({ level: 'silent' }),
    newQueue: () => queue,
  };
  const reflect = async (): Promise<void> => {
    for (const { ref, informer } of informers.byResource.values()) {
      const { items } = await client.list(ref);
      const seen = new Set<string>();
      for (const obj of items) {
        const key = objectKey(obj);
        seen.add(key);
        const cached = informer.lister.get(key);
        if (!cached) informer.add(obj);
        else if (cached.metadata.resourceVersion !== obj.metadata.resourceVersion) informer.update(obj);
      }
      for (const cached of informer.lister.list()) if (!seen.has(objectKey(cached))) informer.delete(cached);
    }
  };
  return {
    ctx,
    client,
    informers,
    clock,
    recorder,
    queue,
    seed<T extends KubeObject>(r: ResourceRef, obj: T): T {
      const stored = client.seed(r, { ...obj, metadata: { creationTimestamp: `${new Date(clock.now()).toISOString().slice(0, 19)}Z`, ...obj.metadata } }) as T;
      informers.fake(r).update(stored);
      return stored;
    },
    reflect,
    async mutate<T extends KubeObject>(r: ResourceRef, name: string, namespace: string | undefined, fn: (obj: T) => void): Promise<T> {
      const obj = await client.get<T>(r, name, namespace);
      fn(obj);
      const stored = client.seed(r, obj) as T;
      await reflect();
      return stored;
    },
  };
}

/** A Ready condition, as a kubelet writes it. */
export function readyStatus(phase: string, ready: boolean, sinceMs: number): Record<string, unknown> {
  const at = `${new Date(Math.floor(sinceMs / 1000) * 1000).toISOString().slice(0, 19)}Z`;
  return { phase, conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: at }] };
}
