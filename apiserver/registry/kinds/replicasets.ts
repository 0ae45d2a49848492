import type { KubeObject } from '../../../kube/object.js';
import { ageColumn, column, nameColumn, selectorColumn, templateColumns } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, child, num, rec, setDefault } from './json.js';
import { defaultTemplate } from './pod-defaults.js';
import { immutableSelector, LABEL_SELECTOR_SCALE, nonNegative, validateSelectorAndTemplate } from './workload-validation.js';

/** apps/v1 ReplicaSet (kube's pkg/registry/apps/replicaset strategy). */

function defaultReplicaSet(rs: KubeObject): void {
  setDefault(child(rs, 'spec'), 'replicas', 1);
  defaultTemplate(rs);
}

function validateReplicaSet(rs: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(rs.spec);
  const causes = nonNegative(spec, 'spec', ['replicas', 'minReadySeconds']);
  // Upstream's ReplicaSet validation reuses the Deployment's wording for an empty selector.
  causes.push(...validateSelectorAndTemplate(spec, 'deployment', 'ReplicaSet'));
  causes.push(...immutableSelector(rs, old));
  return causes;
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Desired', 'integer', 'Replicas is the number of desired pods.', (o) => num(at(o, 'spec', 'replicas'))),
  column('Current', 'integer', 'Replicas is the most recently observed number of non-terminating pods.', (o) => num(at(o, 'status', 'replicas'))),
  column('Ready', 'integer', 'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.', (o) =>
    num(at(o, 'status', 'readyReplicas')),
  ),
  ageColumn(),
  ...templateColumns(),
  selectorColumn('Selector is a label query over pods that should match the replica count.'),
];

export const replicaSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  plural: 'replicasets',
  singular: 'replicaset',
  namespaced: true,
  shortNames: ['rs'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.ReplicaSet',
  subresources: ['status', 'scale'],
  nameRule: 'subdomain',
  columns: COLUMNS,
  fieldSelectors: { 'status.replicas': (o) => String(num(at(o, 'status', 'replicas'))) },
  specFields: ['spec'],
  defaults: defaultReplicaSet,
  prepareForCreate: (rs) => {
    rs.status = { replicas: 0 };
  },
  validate: validateReplicaSet,
  scale: LABEL_SELECTOR_SCALE,
};
