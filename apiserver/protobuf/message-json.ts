import protobuf from 'protobufjs';
import { isInlineField, keepsExplicitZero } from './go-fields.js';
import { formatGoDuration, formatMicroTime, formatTime } from './go-values.js';

/**
 * Turns a message decoded by protobufjs into the JSON value Kubernetes' Go types would marshal:
 * field names as in the proto (they are the JSON names), zero-valued plain scalars and empty
 * lists and maps omitted (`omitempty`), set pointers kept even when zero (go-fields.ts),
 * embedded structs flattened, int64 as numbers, bytes as base64, and the apimachinery wrapper
 * types (Time, MicroTime, Duration, IntOrString, Quantity, RawExtension, FieldsV1, Verbs) in
 * their JSON forms. Nested messages that are present come out as objects even when empty, as
 * Go's encoder never omits a struct (`resources: {}`, `strategy: {}`).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Decodes a nested serialized object (RawExtension holding a protobuf envelope). */
export type NestedDecoder = (bytes: Uint8Array, depth: number) => JsonValue;

interface Context {
  readonly depth: number;
  readonly decodeNested: NestedDecoder;
}

/** Nesting limit for RawExtensions that hold further envelopes; Go's decoder has a similar bound. */
const MAX_NESTED_ENVELOPES = 8;

type Special = (message: Record<string, unknown>, context: Context) => JsonValue;

const SPECIAL_TYPES: Record<string, Special> = {
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Time': (m) => (isEmptyTimestamp(m) ? null : formatTime(toBigInt(m.seconds ?? 0))),
  '.k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime': (m) => (isEmptyTimestamp(m) ? null : formatMicroTime(toBigInt(m.seconds ?? 0), toBigInt(m.nanos ?? 0))),
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Duration': (m) => formatGoDuration(toBigInt(m.duration ?? 0)),
  '.k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1': (m, context) => embeddedJson(m.Raw, 'FieldsV1', context),
  '.k8s.io.apimachinery.pkg.apis.meta.v1.Verbs': (m) => stringList(m.items),
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': intOrString,
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': quantity,
  '.k8s.io.apimachinery.pkg.api.resource.QuantityValue': quantity,
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': (m, context) => embeddedJson(m.raw, 'RawExtension', context),
};

/** The JSON object for a decoded message of `type`. */
export function messageToJson(type: protobuf.Type, message: Record<string, unknown>, decodeNested: NestedDecoder, depth = 0): JsonObject {
  return objectFields(type, message, { depth, decodeNested });
}

function objectFields(type: protobuf.Type, message: Record<string, unknown>, context: Context): JsonObject {
  const messageName = type.fullName.slice(1);
  const out: JsonObject = {};
  for (const field of type.fieldsArray) {
    if (!Object.hasOwn(message, field.name)) continue;
    const value = message[field.name];
    if (value === null || value === undefined) continue;
    if (field.map) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      out[field.name] = Object.fromEntries(entries.map(([key, item]) => [key, elementToJson(field, item, context)]));
    } else if (field.repeated) {
      const items = value as unknown[];
      if (items.length === 0) continue;
      out[field.name] = items.map((item) => elementToJson(field, item, context));
    } else if (field.resolvedType instanceof protobuf.Type) {
      const nested = nestedToJson(field.resolvedType, value as Record<string, unknown>, context);
      if (isInlineField(messageName, field.name) && isObject(nested)) Object.assign(out, nested);
      else out[field.name] = nested;
    } else if (!isZeroScalar(value) || keepsExplicitZero(messageName, field.name)) {
      out[field.name] = scalarToJson(field, value);
    }
  }
  return out;
}

/** A list element or map value: kept even when zero, since Go keeps them too. */
function elementToJson(field: protobuf.Field, value: unknown, context: Context): JsonValue {
  if (field.resolvedType instanceof protobuf.Type) {
    return nestedToJson(field.resolvedType, value as Record<string, unknown>, context);
  }
  return scalarToJson(field, value);
}

function nestedToJson(type: protobuf.Type, message: Record<string, unknown>, context: Context): JsonValue {
  const special = SPECIAL_TYPES[type.fullName];
  return special ? special(message, context) : objectFields(type, message, context);
}

function scalarToJson(field: protobuf.Field, value: unknown): JsonValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (isLong(value)) return Number(toBigInt(value));
  throw new Error(`field ${field.fullName} decoded to an unexpected ${typeof value}`);
}

function isZeroScalar(value: unknown): boolean {
  if (value === '' || value === false || value === 0) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  return isLong(value) && value.isZero();
}

interface LongLike {
  isZero(): boolean;
  toString(): string;
}

function isLong(value: unknown): value is LongLike {
  return typeof value === 'object' && value !== null && protobuf.util.isInteger((value as { low?: unknown }).low) && 'high' in value;
}

function toBigInt(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (isLong(value)) return BigInt(value.toString());
  throw new Error(`expected an integer, got ${typeof value}`);
}

function isObject(value: JsonValue): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Go marshals a zero metav1.Time/MicroTime as null, and protobuf writes a zero time as an empty message. */
function isEmptyTimestamp(message: Record<string, unknown>): boolean {
  return !Object.hasOwn(message, 'seconds') && !Object.hasOwn(message, 'nanos');
}

function intOrString(message: Record<string, unknown>): JsonValue {
  const kind = Number(toBigInt(message.type ?? 0));
  if (kind === 0) return typeof message.intVal === 'number' ? message.intVal : 0;
  if (kind === 1) return typeof message.strVal === 'string' ? message.strVal : '';
  throw new Error(`an IntOrString has type ${kind}; only 0 (int) and 1 (string) exist`);
}

/** Quantity's protobuf form is its canonical string; the zero Quantity marshals as "0". */
function quantity(message: Record<string, unknown>): JsonValue {
  return typeof message.string === 'string' && message.string !== '' ? message.string : '0';
}

function stringList(items: unknown): JsonValue {
  return Array.isArray(items) ? items.filter((item): item is string => typeof item === 'string') : [];
}

const ENVELOPE_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Raw bytes that hold a serialized object: JSON text, or a nested protobuf envelope. Nil is null. */
function embeddedJson(raw: unknown, what: string, context: Context): JsonValue {
  if (!(raw instanceof Uint8Array) || raw.length === 0) return null;
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  if (bytes.subarray(0, 4).equals(ENVELOPE_MAGIC)) {
    if (context.depth >= MAX_NESTED_ENVELOPES) throw new Error(`${what} nests protobuf envelopes deeper than ${MAX_NESTED_ENVELOPES}`);
    return context.decodeNested(bytes, context.depth + 1);
  }
  try {
    return JSON.parse(bytes.toString('utf8')) as JsonValue;
  } catch {
    throw new Error(`a ${what} holds ${bytes.length} bytes that are neither JSON nor a Kubernetes protobuf envelope`);
  }
}
