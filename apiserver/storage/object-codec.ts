import type { KubeObject } from '../../kube/object.js';
import type { KeyValue } from '../../raft/kv/types.js';

/**
 * Objects are stored as JSON without `metadata.resourceVersion`: the resourceVersion is the kv's
 * modRevision (DESIGN.md), which only the store knows once the write commits. Decoding puts it
 * back, so an object read from the store always carries the version it was read at.
 */

export function encodeObject(obj: KubeObject): Uint8Array {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return Buffer.from(JSON.stringify({ ...obj, metadata }));
}

export function decodeObject(kv: KeyValue): KubeObject {
  const bytes = kv.value;
  const obj = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')) as KubeObject;
  obj.metadata.resourceVersion = String(kv.modRevision);
  return obj;
}
