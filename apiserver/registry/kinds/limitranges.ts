import type { KubeObject } from '../../../kube/object.js';
import { invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { list, rec } from './json.js';
import { parseQuantityNanos, QUANTITY_FORMAT_ERROR } from '../../../kube/quantity/quantity.js';

/**
 * core/v1 LimitRange (kube's pkg/registry/core/limitrange): per-namespace default requests and
 * limits and their bounds, which the LimitRanger admission plugin applies to pods.
 */

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'] as const;
const QUANTITY_MAPS = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const;

/**
 * kube's SetDefaults_LimitRangeItem for type Container: a missing `default` (limit) is the `max`,
 * a missing `defaultRequest` is the `default`, else the `min`.
 */
function defaultLimitRange(lr: KubeObject): void {
  for (const item of list(rec(lr.spec).limits)) {
    const it = rec(item);
    if (it.type !== 'Container') continue;
    const dflt = { ...rec(it.default) };
    const dfltReq = { ...rec(it.defaultRequest) };
    for (const [k, v] of Object.entries(rec(it.max))) if (!(k in dflt)) dflt[k] = v;
    for (const [k, v] of Object.entries(dflt)) if (!(k in dfltReq)) dfltReq[k] = v;
    for (const [k, v] of Object.entries(rec(it.min))) if (!(k in dfltReq)) dfltReq[k] = v;
    if (Object.keys(dflt).length > 0) it.default = dflt;
    if (Object.keys(dfltReq).length > 0) it.defaultRequest = dfltReq;
  }
}

/** kube's ValidateLimitRange, the parts that keep the LimitRanger's arithmetic sound. */
function validateLimitRange(lr: KubeObject): FieldCause[] {
  const causes: FieldCause[] = [];
  list(rec(lr.spec).limits).forEach((item, i) => {
    const it = rec(item);
    const path = `spec.limits[${i}]`;
    if (it.type === undefined || it.type === '') causes.push(required(`${path}.type`));
    else if (!(LIMIT_TYPES as readonly unknown[]).includes(it.type)) causes.push(notSupported(`${path}.type`, it.type, LIMIT_TYPES));
    const parsed: Record<string, Record<string, bigint>> = {};
    for (const field of QUANTITY_MAPS) {
      parsed[field] = {};
      for (const [k, v] of Object.entries(rec(it[field]))) {
        const q = parseQuantityNanos(v);
        if (q === undefined) causes.push(invalid(`${path}.${field}[${k}]`, v, QUANTITY_FORMAT_ERROR));
        else (parsed[field] as Record<string, bigint>)[k] = q;
      }
    }
    const { min = {}, max = {}, default: dflt = {}, defaultRequest = {} } = parsed;
    for (const [k, lo] of Object.entries(min)) {
      const hi = max[k];
      if (hi !== undefined && lo > hi)
        causes.push(invalid(`${path}.min[${k}]`, rec(it.min)[k], `min value ${String(rec(it.min)[k])} is greater than max value ${String(rec(it.max)[k])}`));
    }
    for (const [k, d] of Object.entries(defaultRequest)) {
      const hi = max[k];
      const lim = dflt[k];
      if (hi !== undefined && d > hi)
        causes.push(
          invalid(
            `${path}.defaultRequest[${k}]`,
            rec(it.defaultRequest)[k],
            `default request value ${String(rec(it.defaultRequest)[k])} is greater than max value ${String(rec(it.max)[k])}`,
          ),
        );
      if (lim !== undefined && d > lim)
        causes.push(
          invalid(
            `${path}.defaultRequest[${k}]`,
            rec(it.defaultRequest)[k],
            `default request value ${String(rec(it.defaultRequest)[k])} is greater than default limit value ${String(rec(it.default)[k])}`,
          ),
        );
    }
    for (const [k, d] of Object.entries(dflt)) {
      const hi = max[k];
      const lo = min[k];
      if (hi !== undefined && d > hi)
        causes.push(
          invalid(
            `${path}.default[${k}]`,
            rec(it.default)[k],
            `default value ${String(rec(it.default)[k])} is greater than max value ${String(rec(it.max)[k])}`,
          ),
        );
      if (lo !== undefined && d < lo)
        causes.push(
          invalid(
            `${path}.default[${k}]`,
            rec(it.default)[k],
            `min value ${String(rec(it.min)[k])} is greater than default value ${String(rec(it.default)[k])}`,
          ),
        );
    }
  });
  return causes;
}

export const limitRanges: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  singular: 'limitrange',
  namespaced: true,
  shortNames: ['limits'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.LimitRange',
  subresources: [],
  nameRule: 'subdomain',
  // kube's printer: Name and Created At (a timestamp, not an age).
  columns: [
    nameColumn(),
    column(
      'Created At',
      'date',
      'CreationTimestamp is a timestamp representing the server time when this object was created.',
      (o) => o.metadata.creationTimestamp ?? '',
    ),
  ],
  defaults: defaultLimitRange,
  validate: validateLimitRange,
};
