import { parseFieldSelector } from '../../kube/fields/field-selector.js';
import { parseLabelSelector } from '../../kube/labels/label-selector.js';
import type { KubeObject } from '../../kube/object.js';
import type { ResourceDef } from '../registry/types.js';
import { badRequest } from '../status.js';
import { type Query, queryString } from './query.js';

/**
 * `labelSelector` and `fieldSelector` of a list, watch or deletecollection as one predicate.
 * Field selectors are limited to what the kind supports (every kind: metadata.name and
 * metadata.namespace); anything else is a 400 naming the field, as kube answers.
 */
export interface ObjectFilter {
  readonly predicate: ((obj: KubeObject) => boolean) | undefined;
  /** A `metadata.name=x` term, which lets a get-like watch skip scanning. */
  readonly exactName: string | undefined;
}

export function filterFromQuery(def: ResourceDef, q: Query): ObjectFilter {
  const labelText = queryString(q, 'labelSelector') ?? '';
  const fieldText = queryString(q, 'fieldSelector') ?? '';
  let labels: ReturnType<typeof parseLabelSelector> | undefined;
  let fields: ReturnType<typeof parseFieldSelector> | undefined;
  try {
    if (labelText.trim() !== '') labels = parseLabelSelector(labelText);
  } catch (err) {
    throw badRequest(
      `unable to parse requirement: ${(err as Error).message}`.replace(
        'unable to parse requirement: unable to parse requirement: ',
        'unable to parse requirement: ',
      ),
    );
  }
  try {
    if (fieldText.trim() !== '') fields = parseFieldSelector(fieldText);
  } catch (err) {
    throw badRequest((err as Error).message);
  }
  let exactName: string | undefined;
  if (fields) {
    const getters = fieldGetters(def);
    for (const term of fields.requirements()) {
      if (!getters.has(term.field)) throw badRequest(`field label not supported: ${term.field}`);
      if (term.field === 'metadata.name' && term.op === '=') exactName = term.value;
    }
    const f = fields;
    const l = labels;
    return {
      exactName,
      predicate: (obj) => (l ? l.matches(obj.metadata.labels) : true) && f.matches((field) => getters.get(field)?.(obj)),
    };
  }
  if (labels) {
    const l = labels;
    return { exactName, predicate: (obj) => l.matches(obj.metadata.labels) };
  }
  return { exactName, predicate: undefined };
}

const gettersByDef = new WeakMap<ResourceDef, Map<string, (obj: KubeObject) => string>>();

function fieldGetters(def: ResourceDef): Map<string, (obj: KubeObject) => string> {
  let getters = gettersByDef.get(def);
  if (!getters) {
    getters = new Map<string, (obj: KubeObject) => string>([
      ['metadata.name', (o) => o.metadata.name ?? ''],
      ['metadata.namespace', (o) => o.metadata.namespace ?? ''],
    ]);
    for (const [field, get] of Object.entries(def.fieldSelectors ?? {})) getters.set(field, get);
    gettersByDef.set(def, getters);
  }
  return getters;
}
