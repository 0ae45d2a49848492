import type protobuf from 'protobufjs';
import { type JsonObject, type JsonValue, messageToJson } from './message-json.js';
import { kubernetesProtoSchemas, META_V1_PACKAGE, messageTypeFor, UNKNOWN_TYPE } from './proto-schemas.js';

/**
 * Decoder for `application/vnd.kubernetes.protobuf` request bodies, as kubectl sends for
 * `kubectl create namespace|deployment|configmap|secret|service|job|...`.
 *
 * The wire format (k8s.io/apimachinery runtime/serializer/protobuf): the 4 bytes "k8s\0", then a
 * runtime.Unknown message whose typeMeta names apiVersion and kind, whose raw holds the object
 * message, and whose contentEncoding and contentType are empty (or the protobuf media type).
 * The object message is decoded with the vendored Kubernetes .proto definitions (protobufjs)
 * and rendered as the JSON a JSON client would have sent (see message-json.ts).
 */

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/**
 * The object in a Kubernetes protobuf envelope, as the plain JSON object a JSON body would have
 * carried: `{kind, apiVersion, metadata, spec, ...}`.
 * Throws an Error whose message says what is wrong for anything else: no "k8s\0" prefix, a
 * truncated or malformed message, no apiVersion/kind, an encoding or content type other than
 * plain protobuf, or a kind whose schema is not vendored. Parses the schemas on the first call.
 */
export function decodeKubernetesProtobuf(body: Buffer): JsonObject {
  return decodeEnvelope(body, 0);
}

/**
 * Parses the vendored .proto files now rather than on the first protobuf request (a few hundred
 * milliseconds), and returns how long that parse took in milliseconds.
 */
export function preloadKubernetesProtobuf(): number {
  return kubernetesProtoSchemas().loadMs;
}

interface Envelope {
  readonly apiVersion: string;
  readonly kind: string;
  readonly raw: Uint8Array;
}

function decodeEnvelope(body: Uint8Array, depth: number): JsonObject {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length < MAGIC.length || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new Error('not a Kubernetes protobuf body: it does not start with the 4-byte prefix "k8s\\0"');
  }
  const { root } = kubernetesProtoSchemas();
  const envelope = readEnvelope(root, bytes.subarray(MAGIC.length));
  const type = messageTypeFor(root, envelope.apiVersion, envelope.kind);
  if (!type || !isTopLevelKind(type)) {
    throw new Error(`no protobuf schema for kind ${JSON.stringify(envelope.kind)} in ${JSON.stringify(envelope.apiVersion)}`);
  }
  const message = decodeMessage(type, envelope.raw, `${envelope.apiVersion} ${envelope.kind}`);
  const object = messageToJson(type, message, (nested, nestedDepth) => decodeEnvelope(nested, nestedDepth) as JsonValue, depth);
  return { kind: envelope.kind, apiVersion: envelope.apiVersion, ...object };
}

function readEnvelope(root: protobuf.Root, bytes: Uint8Array): Envelope {
  const unknown = decodeMessage(root.lookupType(UNKNOWN_TYPE), bytes, 'envelope');
  const typeMeta = (unknown.typeMeta ?? {}) as Record<string, unknown>;
  const apiVersion = typeof typeMeta.apiVersion === 'string' ? typeMeta.apiVersion : '';
  const kind = typeof typeMeta.kind === 'string' ? typeMeta.kind : '';
  if (apiVersion === '' || kind === '') {
    throw new Error('the protobuf envelope does not name the apiVersion and kind of its object');
  }
  const encoding = typeof unknown.contentEncoding === 'string' ? unknown.contentEncoding : '';
  if (encoding !== '') throw new Error(`the protobuf envelope uses content encoding ${JSON.stringify(encoding)}; only none is supported`);
  const contentType = typeof unknown.contentType === 'string' ? unknown.contentType : '';
  if (contentType !== '' && contentType !== PROTOBUF_MEDIA_TYPE) {
    throw new Error(`the protobuf envelope carries content type ${JSON.stringify(contentType)}; expected ${PROTOBUF_MEDIA_TYPE}`);
  }
  const raw = unknown.raw instanceof Uint8Array ? unknown.raw : new Uint8Array(0);
  return { apiVersion, kind, raw };
}

function decodeMessage(type: protobuf.Type, bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    return type.decode(bytes) as unknown as Record<string, unknown>;
  } catch (err) {
    // protobufjs reports truncation as "index out of range" and bad tags as "invalid wire type".
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`the protobuf ${what} is malformed or truncated (${reason})`);
  }
}

/** Kinds the API serves: objects and lists carry metadata; Status and the *Options kinds do not. */
function isTopLevelKind(type: protobuf.Type): boolean {
  return type.fields.metadata !== undefined || type.name.endsWith('Options') || type.fullName === `.${META_V1_PACKAGE}.Status`;
}
