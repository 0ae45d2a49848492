import type { KubeObject } from '../object.js';
import type { Lister } from './lister.js';

/**
 * What an informer tells its handlers. Handlers run on the informer's delivery path: they must
 * only enqueue keys (level-triggered controllers), never call the apiserver.
 */
export interface EventHandlers<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  /** Also called on a relist for objects that changed while the watch was down. */
  onUpdate?(oldObj: T, newObj: T): void;
  /** With the last state the cache held (a relist may find an object gone without its final state). */
  onDelete?(obj: T): void;
}

/**
 * List, then watch from the list's resourceVersion; resume a dropped watch from the last
 * resourceVersion seen; relist on 410 Gone/Expired (handlers see the differences as
 * add/update/delete). The cache is complete once `hasSynced()` is true.
 */
export interface Informer<T extends KubeObject = KubeObject> {
  readonly lister: Lister<T>;
  addHandlers(handlers: EventHandlers<T>): void;
  start(): void;
  stop(): Promise<void>;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
}
