import type { KubeObject } from '../../../kube/object.js';
import { invalid } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn } from '../../table/columns.js';
import type { FieldCause, ResourceDef } from '../types.js';
import { rec } from './json.js';
import { parseQuantityNanos, QUANTITY_FORMAT_ERROR } from '../../../kube/quantity/quantity.js';

/**
 * core/v1 ResourceQuota (kube's pkg/registry/core/resourcequota): per-namespace limits on object
 * counts and compute, `spec.hard`; `status.hard` and `status.used` are written by the
 * resourcequota controller and, when a create is charged, by the ResourceQuota admission plugin
 * (a compare-and-swap on this object).
 */

function validateResourceList(v: unknown, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [k, q] of Object.entries(rec(v))) {
    const n = parseQuantityNanos(q);
    if (n === undefined) causes.push(invalid(`${path}[${k}]`, q, QUANTITY_FORMAT_ERROR));
    else if (n < 0n) causes.push(invalid(`${path}[${k}]`, q, 'must be greater than or equal to 0'));
  }
  return causes;
}

function validateResourceQuota(rq: KubeObject): FieldCause[] {
  return [
    ...validateResourceList(rec(rq.spec).hard, 'spec.hard'),
    ...validateResourceList(rec(rq.status).hard, 'status.hard'),
    ...validateResourceList(rec(rq.status).used, 'status.used'),
  ];
}

/** kube's printer: `pods: 1/2, requests.cpu: 500m/1` for the non-limit resources, limits apart. */
function usageCell(rq: KubeObject, limits: boolean): string {
  const status = rec(rq.status);
  const hard = rec(status.hard);
  const used = rec(status.used);
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${String(used[k] ?? '0')}/${String(hard[k])}`)
    .join(', ');
}

export const resourceQuotas: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  singular: 'resourcequota',
  namespaced: true,
  shortNames: ['quota'],
  categories: [],
  schemaName: 'io.k8s.api.core.v1.ResourceQuota',
  subresources: ['status'],
  nameRule: 'subdomain',
  columns: [
    nameColumn(),
    ageColumn(),
    column('Request', 'string', 'Request represents a minimum amount of cpu/memory that a container may consume.', (o) => usageCell(o, false)),
    column('Limit', 'string', 'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.', (o) =>
      usageCell(o, true),
    ),
  ],
  validate: validateResourceQuota,
};
