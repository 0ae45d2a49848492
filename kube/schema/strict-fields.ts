import { isPlainObject } from '../object.js';
import type { Schema, SchemaDefinitions } from './types.js';

/**
 * What kube-apiserver's decoder refuses in a request body, checked against the kind's schema:
 * fields the schema does not know (reported with `fieldValidation=Strict`, warned about with
 * `Warn`) and values of the wrong JSON type (always refused: Go cannot decode them).
 *
 * Paths are worded as kube-apiserver's strict decoding words them: `spec.bogusField`,
 * `spec.containers[0].bogus`, a map value as `metadata.labels.app`. `null` is accepted anywhere
 * (Go decodes it as the zero value). Neither function throws on any JSON input.
 */

/** A value Go could not decode into the field's type. */
export interface FieldTypeError {
  /** The value's path, as in `unknownFields`. */
  readonly field: string;
  /** As Go's json package words it: `cannot unmarshal string into Go struct field PodSpec.spec.containers of type []v1.Container`. */
  readonly message: string;
}

/** The top-level fields every kind has, even when its schema leaves them out. */
const TYPE_META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);
const REF_PREFIX = '#/components/schemas/';
/** Schemas of the served kinds nest far less deep; this only bounds work on hostile input. */
const DEPTH_MAX = 64;

/** Every field path in `value` that `schema` does not know, in the order they appear. */
export function unknownFields(value: unknown, schema: Schema, definitions: SchemaDefinitions): string[] {
  const out: string[] = [];
  collectUnknown(value, schema, definitions, '', out, 0);
  return out;
}

/** Every value of the wrong JSON type for its field (int-or-string fields take both numbers and strings). */
export function typeErrors(value: unknown, schema: Schema, definitions: SchemaDefinitions): FieldTypeError[] {
  const out: FieldTypeError[] = [];
  collectTypeErrors(value, schema, definitions, '', structName(schema, definitions), out, 0);
  return out;
}

function collectUnknown(value: unknown, schema: Schema | undefined, defs: SchemaDefinitions, path: string, out: string[], depth: number): void {
  const s = resolve(schema, defs).schema;
  if (!s || s['x-kubernetes-preserve-unknown-fields'] || depth > DEPTH_MAX) return;
  if (Array.isArray(value)) {
    if (s.items) for (const [i, item] of value.entries()) collectUnknown(item, s.items, defs, `${path}[${i}]`, out, depth + 1);
    return;
  }
  if (!isPlainObject(value)) return;
  const mapValues = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
  for (const key of Object.keys(value)) {
    const at = child(path, key);
    const known = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
    if (known) collectUnknown(value[key], known, defs, at, out, depth + 1);
    else if (mapValues) collectUnknown(value[key], mapValues, defs, at, out, depth + 1);
    else if (s.additionalProperties === true || !s.properties) continue;
    else if (path === '' && TYPE_META_FIELDS.has(key)) continue;
    else out.push(at);
  }
}

function collectTypeErrors(
  value: unknown,
  schema: Schema | undefined,
  defs: SchemaDefinitions,
  path: string,
  struct: string,
  out: FieldTypeError[],
  depth: number,
): void {
  if (value === null || value === undefined || depth > DEPTH_MAX) return;
  const { schema: s, name } = resolve(schema, defs);
  if (!s || s['x-kubernetes-preserve-unknown-fields']) return;
  const fail = (): void => {
    out.push({ field: path, message: unmarshalMessage(value, schema as Schema, defs, path, struct) });
  };
  if (s['x-kubernetes-int-or-string']) {
    if (typeof value !== 'string' && typeof value !== 'number') fail();
    return;
  }
  switch (expectedType(s)) {
    case 'array':
      if (!Array.isArray(value)) return void fail();
      for (const [i, item] of value.entries()) collectTypeErrors(item, s.items, defs, `${path}[${i}]`, struct, out, depth + 1);
      return;
    case 'object': {
      if (!isPlainObject(value)) return void fail();
      const inner = name ? shortName(name) : struct;
      const mapValues = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
      for (const [key, v] of Object.entries(value)) {
        const known = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key] : mapValues;
        if (known) collectTypeErrors(v, known, defs, child(path, key), inner, out, depth + 1);
      }
      return;
    }
    case 'string':
      if (typeof value !== 'string') fail();
      return;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) fail();
      return;
    case 'number':
      if (typeof value !== 'number') fail();
      return;
    case 'boolean':
      if (typeof value !== 'boolean') fail();
      return;
    default:
      return;
  }
}

function expectedType(s: Schema): Schema['type'] {
  if (s.type) return s.type;
  if (s.items) return 'array';
  if (s.properties || s.additionalProperties) return 'object';
  return undefined;
}

function unmarshalMessage(value: unknown, schema: Schema, defs: SchemaDefinitions, path: string, struct: string): string {
  const kind = jsonKind(value);
  const what = typeof value === 'number' && !Number.isInteger(value) ? `${kind} ${value}` : kind;
  const into = path === '' ? 'Go value' : `Go struct field ${struct}.${path}`;
  return `cannot unmarshal ${what} into ${into} of type ${goType(schema, defs)}`;
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** The Go type a schema stands for, as Go's errors print it (`[]v1.Container`, `map[string]string`). */
function goType(schema: Schema | undefined, defs: SchemaDefinitions): string {
  if (!schema) return 'interface {}';
  const gvk = schema['x-kubernetes-group-version-kind']?.[0];
  if (gvk) return `${gvk.version}.${gvk.kind}`;
  if (schema.$ref) {
    const name = refName(schema.$ref);
    const parts = name.split('.');
    return parts.length >= 2 ? `${parts[parts.length - 2]}.${parts[parts.length - 1]}` : name;
  }
  if (schema.allOf?.length === 1 && !schema.properties) return goType(schema.allOf[0], defs);
  if (schema['x-kubernetes-int-or-string']) return 'intstr.IntOrString';
  switch (expectedType(schema)) {
    case 'array':
      return `[]${goType(schema.items, defs)}`;
    case 'object':
      return typeof schema.additionalProperties === 'object' ? `map[string]${goType(schema.additionalProperties, defs)}` : 'map[string]interface {}';
    case 'string':
      return schema.format === 'byte' ? '[]uint8' : 'string';
    case 'integer':
      return schema.format === 'int32' || schema.format === 'int64' ? schema.format : 'int';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return 'interface {}';
  }
}

/** Follows `$ref` and single-element `allOf`, remembering the last definition name passed through. */
function resolve(schema: Schema | undefined, defs: SchemaDefinitions): { schema: Schema | undefined; name: string | undefined } {
  let s = schema;
  let name: string | undefined;
  for (let hops = 0; s && hops < 16; hops++) {
    if (s.$ref) {
      name = refName(s.$ref);
      s = Object.hasOwn(defs, name) ? defs[name] : undefined;
    } else if (s.allOf?.length === 1 && !s.properties) s = s.allOf[0];
    else break;
  }
  return { schema: s, name };
}

/** A kind's schema is usually passed as the definition itself (no `$ref`): name it by its kind then. */
function structName(schema: Schema, defs: SchemaDefinitions): string {
  const { schema: s, name } = resolve(schema, defs);
  return name ? shortName(name) : (s?.['x-kubernetes-group-version-kind']?.[0]?.kind ?? 'Object');
}

function refName(ref: string): string {
  return ref.startsWith(REF_PREFIX) ? ref.slice(REF_PREFIX.length) : ref;
}

function shortName(definitionName: string): string {
  return definitionName.slice(definitionName.lastIndexOf('.') + 1);
}

function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}
