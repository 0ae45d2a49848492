import { createHash } from 'node:crypto';
import type { Schema, SchemaDefinitions } from '../../kube/schema/types.js';
import type { ResourceDef } from '../registry/types.js';
import { definitions as allDefinitions } from './definitions.js';
import { DELETE_OPTIONS_SCHEMA, PATCH_SCHEMA, type PathItem, STATUS_SCHEMA, resourcePaths, resourceSchemaNames } from './operations.js';

/**
 * The OpenAPI v3 documents kube-apiserver serves: `/openapi/v3` (an index of group-versions)
 * and `/openapi/v3/<group-version path>` (one OpenAPI 3.0 document per group-version, with the
 * paths of its resources and every schema they reach).
 *
 * kubectl fetches the index, then the document of the object's group-version at the
 * `serverRelativeURL` the index gives (hash included), and uses it for `kubectl explain` and to
 * decide on server-side field validation (see operations.ts). The hash is the document's
 * SHA-512, so it changes exactly when the document does and clients may cache by URL.
 *
 * Documents are built once per registry list (the `defs` array, by identity) and cached.
 */

/** The Kubernetes version the documents claim, as kube-apiserver v1.32 prints it in `info.version`. */
export const OPENAPI_KUBERNETES_VERSION = 'v1.32.0';

export interface OpenApiV3Root {
  readonly paths: Readonly<Record<string, { readonly serverRelativeURL: string }>>;
}

export interface OpenApiV3Document {
  readonly openapi: '3.0.0';
  readonly info: { readonly title: 'Kubernetes'; readonly version: string };
  readonly paths: Readonly<Record<string, PathItem>>;
  readonly components: { readonly schemas: Readonly<Record<string, Schema>> };
}

/** A group-version document serialized once, with its hash (for ETag and the index's URL). */
export interface SerializedDocument {
  readonly document: OpenApiV3Document;
  readonly json: string;
  /** Upper-case hex SHA-512 of `json`, as kube-apiserver computes it. */
  readonly hash: string;
}

/** Schemas every group-version document carries, as upstream's do (errors, delete bodies, patches, watch events). */
const META_SCHEMAS = [STATUS_SCHEMA, DELETE_OPTIONS_SCHEMA, PATCH_SCHEMA, 'io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent'];
const REF_PREFIX = '#/components/schemas/';

/** `api/v1` for the core group, `apis/<group>/<version>` otherwise: the document's key in the index. */
export function groupVersionPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

/** The `/openapi/v3` index: one entry per group-version that has at least one resource. */
export function openapiV3Root(defs: readonly ResourceDef[], definitions: SchemaDefinitions = allDefinitions): OpenApiV3Root {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [path, doc] of built(defs, definitions)) paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${doc.hash}` };
  return { paths };
}

/** The document of one group-version (`api/v1`, `apis/apps/v1`); undefined if no resource lives there. */
export function openapiV3GroupVersion(
  defs: readonly ResourceDef[],
  groupVersion: string,
  definitions: SchemaDefinitions = allDefinitions,
): OpenApiV3Document | undefined {
  return openapiV3GroupVersionSerialized(defs, groupVersion, definitions)?.document;
}

/** As `openapiV3GroupVersion`, with the JSON text and hash computed once for all requests. */
export function openapiV3GroupVersionSerialized(
  defs: readonly ResourceDef[],
  groupVersion: string,
  definitions: SchemaDefinitions = allDefinitions,
): SerializedDocument | undefined {
  return built(defs, definitions).get(groupVersion.replace(/^\/+|\/+$/g, ''));
}

const cache = new WeakMap<readonly ResourceDef[], { definitions: SchemaDefinitions; docs: Map<string, SerializedDocument> }>();

function built(defs: readonly ResourceDef[], definitions: SchemaDefinitions): Map<string, SerializedDocument> {
  const hit = cache.get(defs);
  if (hit && hit.definitions === definitions) return hit.docs;
  const byGroupVersion = new Map<string, ResourceDef[]>();
  for (const def of defs) {
    const path = groupVersionPath(def.group, def.version);
    byGroupVersion.set(path, [...(byGroupVersion.get(path) ?? []), def]);
  }
  const docs = new Map<string, SerializedDocument>();
  for (const path of [...byGroupVersion.keys()].sort()) {
    const document = buildDocument(byGroupVersion.get(path) ?? [], definitions);
    const json = JSON.stringify(document);
    docs.set(path, { document, json, hash: createHash('sha512').update(json).digest('hex').toUpperCase() });
  }
  cache.set(defs, { definitions, docs });
  return docs;
}

function buildDocument(defs: readonly ResourceDef[], definitions: SchemaDefinitions): OpenApiV3Document {
  const paths: Record<string, PathItem> = {};
  for (const def of defs) Object.assign(paths, resourcePaths(def, definitions));
  const roots = [...defs.flatMap(resourceSchemaNames), ...META_SCHEMAS];
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: OPENAPI_KUBERNETES_VERSION },
    paths: sortedRecord(paths),
    components: { schemas: reachableSchemas(roots, definitions) },
  };
}

/** The named schemas `roots` reach through `$ref`, keyed by name in sorted order; unknown names are skipped. */
export function reachableSchemas(roots: readonly string[], definitions: SchemaDefinitions): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  const pending = [...roots];
  while (pending.length > 0) {
    const name = pending.pop() as string;
    if (Object.hasOwn(out, name) || !Object.hasOwn(definitions, name)) continue;
    const schema = definitions[name] as Schema;
    out[name] = schema;
    collectRefs(schema, pending);
  }
  return sortedRecord(out);
}

function collectRefs(schema: Schema, into: string[]): void {
  if (schema.$ref?.startsWith(REF_PREFIX)) into.push(schema.$ref.slice(REF_PREFIX.length));
  for (const s of Object.values(schema.properties ?? {})) collectRefs(s, into);
  for (const s of schema.allOf ?? []) collectRefs(s, into);
  if (schema.items) collectRefs(schema.items, into);
  if (typeof schema.additionalProperties === 'object') collectRefs(schema.additionalProperties, into);
}

function sortedRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((k) => [k, record[k] as T]),
  );
}
