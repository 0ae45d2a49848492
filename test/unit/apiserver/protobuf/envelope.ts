import { kubernetesProtoSchemas, messageTypeFor, UNKNOWN_TYPE } from '../../../../apiserver/protobuf/proto-schemas.js';

/**
 * Builds Kubernetes protobuf bodies with protobufjs and the vendored schemas, as Go's serializer
 * frames them: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding, contentType}.
 * `object` is in protobufjs' fromObject form (int64 as numbers, bytes as Buffers, IntOrString as
 * {type, intVal|strVal}, Quantity as {string}, Time as {seconds}).
 */
export const MAGIC = Buffer.from('k8s\0', 'latin1');

export function encodeObject(apiVersion: string, kind: string, object: Record<string, unknown>): Uint8Array {
  const { root } = kubernetesProtoSchemas();
  const type = messageTypeFor(root, apiVersion, kind);
  if (!type) throw new Error(`test setup: no type for ${apiVersion} ${kind}`);
  const problem = type.verify(type.toObject(type.fromObject(object)));
  if (problem) throw new Error(`test setup: ${problem}`);
  return type.encode(type.fromObject(object)).finish();
}

export function envelope(apiVersion: string, kind: string, object: Record<string, unknown>, unknownFields: Record<string, unknown> = {}): Buffer {
  return wrap({ typeMeta: { apiVersion, kind }, raw: encodeObject(apiVersion, kind, object), contentEncoding: '', contentType: '', ...unknownFields });
}

/** An envelope around arbitrary runtime.Unknown fields (for malformed-envelope cases). */
export function wrap(unknownFields: Record<string, unknown>): Buffer {
  const unknown = kubernetesProtoSchemas().root.lookupType(UNKNOWN_TYPE);
  return Buffer.concat([MAGIC, unknown.encode(unknown.fromObject(unknownFields)).finish()]);
}
