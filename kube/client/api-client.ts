import type { KubeObject } from '../object.js';
import type { ResourceRef } from './resource.js';

/**
 * The port every component (scheduler, controllers, node agents) uses to talk to the apiserver.
 * `RestClient` (rest-client.ts) implements it over HTTP; tests of pure `sync` logic use a
 * recording twin. Namespaces come from `metadata.namespace` for writes of whole objects and from
 * `namespace` options otherwise.
 */
export interface ApiClient {
  get<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, namespace?: string): Promise<T>;
  list<T extends KubeObject = KubeObject>(r: ResourceRef, options?: ListOptions): Promise<ObjectList<T>>;
  /** POST to the collection of `obj.metadata.namespace` (or `namespace` when given). */
  create<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, options?: WriteOptions): Promise<T>;
  /** PUT of the whole object, guarded by its `metadata.resourceVersion` (409 Conflict when stale). */
  update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, options?: WriteOptions): Promise<T>;
  /** PUT of `/status`: only status changes are kept. */
  updateStatus<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T): Promise<T>;
  /**
   * PUT of another subresource of the whole object, such as a namespace's `finalize` (the only
   * write that may change `spec.finalizers`). Optional so that test twins written before it keep
   * compiling; `RestClient` and `RecordingApiClient` have it.
   */
  updateSubresource?<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, subresource: string): Promise<T>;
  patch<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, patch: unknown, options?: PatchOptions): Promise<T>;
  /** DELETE; resolves with what the apiserver answered (the object while finalizers run, or a Status). */
  delete(r: ResourceRef, name: string, options?: DeleteOptions): Promise<KubeObject>;
  /** POST to a subresource: `pods/binding`, `pods/eviction`. */
  createSubresource<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, subresource: string, body: KubeObject, namespace?: string): Promise<T>;
  /**
   * Open a watch. Events arrive in order through `onEvent`; the handle's `done` settles when the
   * stream ends: resolves when the server closed it (its timeout), rejects on a transport error or
   * a non-200 answer (an `ApiStatusError`). An in-stream `ERROR` event (e.g. 410 Expired) is
   * delivered to `onEvent` like any other and the stream then ends.
   */
  watch<T extends KubeObject = KubeObject>(r: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle;
}

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion?: string;
  readonly resourceVersionMatch?: 'NotOlderThan' | 'Exact';
  readonly limit?: number;
  readonly continue?: string;
}

export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Start after this revision; events newer than it are delivered. */
  readonly resourceVersion?: string;
  readonly allowWatchBookmarks?: boolean;
  readonly timeoutSeconds?: number;
}

export interface WriteOptions {
  readonly namespace?: string;
  readonly dryRun?: boolean;
  readonly fieldManager?: string;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

export interface PatchOptions {
  readonly namespace?: string;
  /** Default `merge` (application/merge-patch+json). */
  readonly type?: PatchType;
  readonly subresource?: 'status' | 'scale';
  readonly fieldManager?: string;
  readonly force?: boolean;
}

export interface DeleteOptions {
  readonly namespace?: string;
  readonly gracePeriodSeconds?: number;
  readonly propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string };
}

export interface ObjectList<T extends KubeObject = KubeObject> {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly resourceVersion?: string; readonly continue?: string; readonly remainingItemCount?: number };
  readonly items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** One watch event. For `ERROR` the object is a `metav1.Status` (410 Expired when the start is compacted). */
export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: WatchEventType;
  readonly object: T;
}

export interface WatchHandle {
  /** Close the stream; `done` then resolves. Idempotent. */
  stop(): void;
  readonly done: Promise<void>;
}

/** The `metav1.Status` the apiserver answers on failure. */
export interface ApiStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly status?: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly code: number;
  readonly details?: { readonly name?: string; readonly kind?: string; readonly causes?: readonly { reason?: string; message?: string; field?: string }[] };
}

/** A call the apiserver refused, with its Status; `code` is the HTTP status (0 when the server could not be reached). */
export class ApiStatusError extends Error {
  readonly code: number;
  readonly reason: string;
  readonly status: ApiStatus | undefined;

  constructor(code: number, reason: string, message: string, status?: ApiStatus) {
    super(message);
    this.name = 'ApiStatusError';
    this.code = code;
    this.reason = reason;
    this.status = status;
  }
}

export const isNotFound = (e: unknown): boolean => e instanceof ApiStatusError && e.code === 404;
export const isConflict = (e: unknown): boolean => e instanceof ApiStatusError && e.code === 409 && e.reason === 'Conflict';
export const isAlreadyExists = (e: unknown): boolean => e instanceof ApiStatusError && e.code === 409 && e.reason === 'AlreadyExists';
export const isGone = (e: unknown): boolean => e instanceof ApiStatusError && (e.code === 410 || e.reason === 'Expired' || e.reason === 'Gone');
