/**
 * A Kubernetes type's schema: the subset of OpenAPI v3 (with Kubernetes' `x-kubernetes-*`
 * extensions) that picokube reads. One schema per kind serves three purposes, so they can never
 * disagree: the OpenAPI documents kubectl downloads (`/openapi/v3`, `kubectl explain`), the merge
 * keys and strategies of strategic merge patch, and strict field validation
 * (`fieldValidation=Strict`: a field the schema does not know is an error).
 *
 * Named types are shared through `$ref: '#/components/schemas/<name>'` into a `SchemaDefinitions`
 * map, exactly as in kube-apiserver's `/openapi/v3/api/v1` documents (names like
 * `io.k8s.api.core.v1.PodSpec`).
 */
export interface Schema {
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  readonly format?: string;
  readonly description?: string;
  /** Known fields of an object. */
  readonly properties?: Readonly<Record<string, Schema>>;
  /** A map's value schema (labels: `{type: 'string'}`); `true` for any value. */
  readonly additionalProperties?: Schema | true;
  readonly items?: Schema;
  readonly required?: readonly string[];
  readonly enum?: readonly string[];
  /** A named type, `#/components/schemas/<name>`; the other keys are then absent (or `allOf`). */
  readonly $ref?: string;
  /** Upstream wraps a `$ref` with a description as `allOf: [{$ref}]`. */
  readonly allOf?: readonly Schema[];
  readonly default?: unknown;
  /** int-or-string (IntOrString, e.g. a port name or number). */
  readonly 'x-kubernetes-int-or-string'?: boolean;
  /** Any JSON below here is accepted and kept (e.g. RawExtension, JSONSchemaProps). */
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** Strategic merge patch: the key that identifies an element of a list of objects. */
  readonly 'x-kubernetes-patch-merge-key'?: string;
  /** Strategic merge patch: `merge` (lists merged by key, or as sets for scalars), `retainKeys`, or both ("merge,retainKeys"); absent means replace. */
  readonly 'x-kubernetes-patch-strategy'?: string;
  readonly 'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  readonly 'x-kubernetes-list-map-keys'?: readonly string[];
  readonly 'x-kubernetes-map-type'?: 'atomic' | 'granular';
  /** On a kind's top-level schema: which group/version/kind it is. */
  readonly 'x-kubernetes-group-version-kind'?: readonly { readonly group: string; readonly version: string; readonly kind: string }[];
}

/** Named schemas, keyed by the name a `$ref` ends with. */
export type SchemaDefinitions = Readonly<Record<string, Schema>>;

const REF_PREFIX = '#/components/schemas/';

/** Follows `$ref` (and a single-element `allOf` wrapper) to the schema it names; undefined if unknown. */
export function resolveSchema(schema: Schema | undefined, definitions: SchemaDefinitions): Schema | undefined {
  let s = schema;
  for (let hops = 0; s && hops < 16; hops++) {
    if (s.$ref) s = definitions[s.$ref.startsWith(REF_PREFIX) ? s.$ref.slice(REF_PREFIX.length) : s.$ref];
    else if (s.allOf && s.allOf.length === 1 && !s.properties) s = s.allOf[0];
    else return s;
  }
  return s;
}

export function schemaRef(name: string): Schema {
  return { $ref: `${REF_PREFIX}${name}` };
}
