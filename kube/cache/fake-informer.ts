import { objectKey } from '../client/resource.js';
import type { KubeObject } from '../object.js';
import { Indexer } from './indexer.js';
import type { EventHandlers, Informer } from './informer-types.js';

/**
 * An informer without an apiserver, for unit tests of controllers and the scheduler: the test
 * puts objects in with `add`/`update`/`delete`, which change the cache and call the handlers just
 * as a watch event would. Synced from the start.
 */
export class FakeInformer<T extends KubeObject = KubeObject> implements Informer<T> {
  readonly lister = new Indexer<T>();
  private readonly handlers: EventHandlers<T>[] = [];

  addHandlers(handlers: EventHandlers<T>): void {
    this.handlers.push(handlers);
  }

  start(): void {}

  async stop(): Promise<void> {}

  hasSynced(): boolean {
    return true;
  }

  async waitForSync(): Promise<void> {}

  add(obj: T): void {
    this.lister.upsert(obj);
    for (const h of this.handlers) h.onAdd?.(obj);
  }

  update(obj: T): void {
    const old = this.lister.upsert(obj);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, obj);
      else h.onAdd?.(obj);
    }
  }

  delete(obj: T): void {
    const old = this.lister.remove(objectKey(obj));
    for (const h of this.handlers) h.onDelete?.(old ?? obj);
  }
}
