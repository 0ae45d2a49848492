import type { KubeObject } from '../object.js';

/**
 * A read-only view of an informer's cache (client-go's `cache.Indexer` as listers see it).
 * Objects are shared with the cache: never mutate them; copy with `structuredClone` first.
 */
export interface Lister<T extends KubeObject = KubeObject> {
  /** By `namespace/name` (or `name` for cluster-scoped kinds). */
  get(key: string): T | undefined;
  list(): T[];
  /** The objects an index function mapped to `value`; [] for an unknown index or value. */
  byIndex(index: string, value: string): T[];
}

/** Maps an object to the index values it is found under (several or none). */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

/** The indexes every informer has, unless told otherwise. */
export const IndexNames = {
  /** `metadata.namespace`. */
  namespace: 'namespace',
  /** The uid of the controlling ownerReference (`controller: true`). */
  controllerUid: 'controllerUid',
  /** `spec.nodeName` of pods. */
  nodeName: 'nodeName',
} as const;

export const namespaceIndex: IndexFunc = (obj) => (obj.metadata.namespace ? [obj.metadata.namespace] : []);

export const controllerUidIndex: IndexFunc = (obj) => {
  const owner = obj.metadata.ownerReferences?.find((o) => o.controller === true);
  return owner ? [owner.uid] : [];
};

export const nodeNameIndex: IndexFunc = (obj) => {
  const spec = obj.spec as { nodeName?: unknown } | undefined;
  return typeof spec?.nodeName === 'string' && spec.nodeName !== '' ? [spec.nodeName] : [];
};

export const defaultIndexers: Readonly<Record<string, IndexFunc>> = {
  [IndexNames.namespace]: namespaceIndex,
  [IndexNames.controllerUid]: controllerUidIndex,
  [IndexNames.nodeName]: nodeNameIndex,
};
