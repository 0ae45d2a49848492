import { labelSelectorFromSet } from '../../../kube/labels/label-selector.js';
import type { KubeObject } from '../../../kube/object.js';
import { required } from '../../../kube/validation/field-errors.js';
import { validateLabels } from '../../../kube/validation/object-meta.js';
import { ageColumn, column, formatLabels, nameColumn, templateColumns } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, child, num, rec, setDefault, stringMap } from './json.js';
import { defaultTemplate } from './pod-defaults.js';
import { MAP_SELECTOR_SCALE, nonNegative, validateTemplateForSelector } from './workload-validation.js';

/** core/v1 ReplicationController (kube's pkg/registry/core/replicationcontroller strategy). */

/** An RC without a selector selects its template's labels, and is labelled like it (SetDefaults_ReplicationController). */
function defaultReplicationController(rc: KubeObject): void {
  const spec = child(rc, 'spec');
  const templateLabels = at(spec, 'template', 'metadata', 'labels');
  if (templateLabels !== undefined && templateLabels !== null) {
    const labels = stringMap(templateLabels);
    if (Object.keys(rec(spec.selector)).length === 0) spec.selector = { ...labels };
    if (Object.keys(rc.metadata.labels ?? {}).length === 0) rc.metadata.labels = { ...labels };
  }
  setDefault(spec, 'replicas', 1);
  defaultTemplate(rc);
}

function validateReplicationController(rc: KubeObject): FieldCause[] {
  const spec = rec(rc.spec);
  const causes = nonNegative(spec, 'spec', ['replicas', 'minReadySeconds']);
  const selectorMap = stringMap(spec.selector);
  if (Object.keys(selectorMap).length === 0) causes.push(required('spec.selector'));
  else causes.push(...validateLabels(selectorMap, 'spec.selector'));
  let selector: ReturnType<typeof labelSelectorFromSet> | undefined;
  try {
    selector = labelSelectorFromSet(selectorMap);
  } catch {
    selector = undefined;
  }
  causes.push(...validateTemplateForSelector(spec.template, selector, 'spec.template', 'ReplicationController'));
  return causes;
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Desired', 'integer', 'Replicas is the number of desired replicas.', (o) => num(at(o, 'spec', 'replicas'))),
  column('Current', 'integer', 'Replicas is the most recently observed number of replicas.', (o) => num(at(o, 'status', 'replicas'))),
  column('Ready', 'integer', 'The number of ready replicas for this replication controller.', (o) => num(at(o, 'status', 'readyReplicas'))),
  ageColumn(),
  ...templateColumns(),
  column('Selector', 'string', 'Selector is a label query over pods that should match the Replicas count.', (o) => formatLabels(at(o, 'spec', 'selector')), 1),
];

export const replicationControllers: ResourceDef = {
  group: '',
  version: 'v1',
  kind: 'ReplicationController',
  plural: 'replicationcontrollers',
  singular: 'replicationcontroller',
  namespaced: true,
  shortNames: ['rc'],
  categories: ['all'],
  schemaName: 'io.k8s.api.core.v1.ReplicationController',
  subresources: ['status', 'scale'],
  nameRule: 'subdomain',
  columns: COLUMNS,
  fieldSelectors: { 'status.replicas': (o) => String(num(at(o, 'status', 'replicas'))) },
  specFields: ['spec'],
  defaults: defaultReplicationController,
  prepareForCreate: (rc) => {
    rc.status = { replicas: 0 };
  },
  validate: validateReplicationController,
  scale: MAP_SELECTOR_SCALE,
};
