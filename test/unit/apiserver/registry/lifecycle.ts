import type { FieldCause, ResourceDef } from '../../../../apiserver/registry/types.js';
import type { KubeObject } from '../../../../kube/object.js';

/**
 * The steps the generic handlers run around a kind's hooks, reduced to what the registry tests
 * need: a create (server fields, prepareForCreate, defaults, validate) and an update (defaults,
 * validate against the old object), plus a row of the kind's columns by column name.
 */

export const NOW = '2026-11-27T05:10:45Z';
export const NOW_MS = Date.parse(NOW);

export interface Written {
  readonly obj: KubeObject;
  readonly causes: FieldCause[];
}

function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

export function create(def: ResourceDef, body: Record<string, unknown>, uid = 'uid-1'): Written {
  const obj = structuredClone(body) as KubeObject;
  obj.apiVersion = apiVersionOf(def);
  obj.kind = def.kind;
  obj.metadata = { ...(obj.metadata ?? {}) };
  if (def.namespaced && !obj.metadata.namespace) obj.metadata.namespace = 'default';
  obj.metadata.uid = uid;
  obj.metadata.creationTimestamp = NOW;
  if (def.specFields) obj.metadata.generation = 1;
  if (def.subresources.includes('status')) delete obj.status;
  def.prepareForCreate?.(obj);
  def.defaults?.(obj);
  return { obj, causes: def.validate?.(obj, undefined) ?? [] };
}

/** A created object that must be valid; throws with the causes otherwise. */
export function valid(def: ResourceDef, body: Record<string, unknown>, uid?: string): KubeObject {
  const { obj, causes } = create(def, body, uid);
  if (causes.length > 0) throw new Error(`unexpectedly invalid: ${JSON.stringify(causes)}`);
  return obj;
}

/** Validation of `old` changed by `change` (applied to a copy), after defaulting as an update does. */
export function update(def: ResourceDef, old: KubeObject, change: (next: KubeObject) => void): FieldCause[] {
  const next = structuredClone(old);
  change(next);
  def.defaults?.(next);
  return def.validate?.(next, old) ?? [];
}

/** `field: message` lines, as kubectl prints the causes of a 422. */
export function lines(causes: readonly FieldCause[]): string[] {
  return causes.map((c) => `${c.field}: ${c.message}`);
}

/** The cells of one object's row, by column name. */
export function row(def: ResourceDef, obj: KubeObject, nowMs = NOW_MS): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const c of def.columns ?? []) out[c.name] = c.cell(obj, nowMs);
  return out;
}
