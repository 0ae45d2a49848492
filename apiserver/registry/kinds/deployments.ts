import { selectorToString } from '../../../kube/labels/label-selector.js';
import type { KubeObject } from '../../../kube/object.js';
import { forbidden, invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn, templateColumns } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { intOrPercentErrors, intOrPercentValue, notMoreThan100PercentErrors } from './formats.js';
import { at, child, isInt, type JsonRecord, num, rec, setDefault, setDefaultString } from './json.js';
import { defaultTemplate } from './pod-defaults.js';
import { immutableSelector, LABEL_SELECTOR_SCALE, nonNegative, validateSelectorAndTemplate } from './workload-validation.js';

/** apps/v1 Deployment (kube's pkg/registry/apps/deployment strategy, apps/v1 defaults). */

function defaultDeployment(d: KubeObject): void {
  const spec = child(d, 'spec');
  setDefault(spec, 'replicas', 1);
  const strategy = child(spec, 'strategy');
  setDefaultString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rolling = child(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', '25%');
    setDefault(rolling, 'maxSurge', '25%');
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  setDefault(spec, 'progressDeadlineSeconds', 600);
  defaultTemplate(d);
}

function validateStrategy(strategy: JsonRecord): FieldCause[] {
  const path = 'spec.strategy';
  const type = strategy.type;
  if (type === 'Recreate') {
    return strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null
      ? [forbidden(`${path}.rollingUpdate`, "may not be specified when strategy `type` is 'Recreate'")]
      : [];
  }
  if (type !== 'RollingUpdate') return [notSupported(path, strategy, ['Recreate', 'RollingUpdate'])];
  const rolling = strategy.rollingUpdate;
  if (rolling === undefined || rolling === null) return [required(`${path}.rollingUpdate`, 'this should be defaulted and never be nil')];
  const r = rec(rolling);
  const p = `${path}.rollingUpdate`;
  const causes: FieldCause[] = [];
  for (const field of ['maxUnavailable', 'maxSurge']) {
    for (const msg of intOrPercentErrors(r[field])) causes.push(invalid(`${p}.${field}`, r[field], msg));
  }
  if (intOrPercentValue(r.maxUnavailable) === 0 && intOrPercentValue(r.maxSurge) === 0) {
    causes.push(invalid(`${p}.maxUnavailable`, r.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
  }
  for (const msg of notMoreThan100PercentErrors(r.maxUnavailable)) causes.push(invalid(`${p}.maxUnavailable`, r.maxUnavailable, msg));
  return causes;
}

function validateDeployment(d: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(d.spec);
  const causes = nonNegative(spec, 'spec', ['replicas', 'minReadySeconds', 'revisionHistoryLimit', 'progressDeadlineSeconds']);
  causes.push(...validateSelectorAndTemplate(spec, 'deployment', 'ReplicaSet'));
  causes.push(...validateStrategy(rec(spec.strategy)));
  const deadline = spec.progressDeadlineSeconds;
  if (isInt(deadline) && deadline <= num(spec.minReadySeconds)) {
    causes.push(invalid('spec.progressDeadlineSeconds', deadline, 'must be greater than minReadySeconds'));
  }
  causes.push(...immutableSelector(d, old));
  return causes;
}

/** Deployment's Selector cell: the selector text, `<invalid>` when it does not convert. */
function deploymentSelector(d: KubeObject): string {
  try {
    return selectorToString(at(d, 'spec', 'selector') as never);
  } catch {
    return '<invalid>';
  }
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Ready', 'string', 'Number of the pod with ready state', (d) => `${num(at(d, 'status', 'readyReplicas'))}/${num(at(d, 'spec', 'replicas'))}`),
  column('Up-to-date', 'string', 'Total number of non-terminating pods targeted by this deployment that have the desired template spec.', (d) =>
    num(at(d, 'status', 'updatedReplicas')),
  ),
  column('Available', 'string', 'Total number of available non-terminating pods (ready for at least minReadySeconds) targeted by this deployment.', (d) =>
    num(at(d, 'status', 'availableReplicas')),
  ),
  ageColumn(),
  ...templateColumns(),
  column(
    'Selector',
    'string',
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
    deploymentSelector,
    1,
  ),
];

export const deployments: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  plural: 'deployments',
  singular: 'deployment',
  namespaced: true,
  shortNames: ['deploy'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.Deployment',
  subresources: ['status', 'scale'],
  nameRule: 'subdomain',
  columns: COLUMNS,
  specFields: ['spec'],
  defaults: defaultDeployment,
  prepareForCreate: (d) => {
    d.status = {};
  },
  validate: validateDeployment,
  scale: LABEL_SELECTOR_SCALE,
};
