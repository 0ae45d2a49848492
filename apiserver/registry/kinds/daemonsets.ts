import type { KubeObject } from '../../../kube/object.js';
import { invalid, notSupported } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, formatLabels, nameColumn, selectorColumn, templateColumns } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { intOrPercentErrors, intOrPercentValue, notMoreThan100PercentErrors } from './formats.js';
import { at, child, num, rec, setDefault, setDefaultString, str } from './json.js';
import { defaultTemplate } from './pod-defaults.js';
import { immutableSelector, nonNegative, validateSelectorAndTemplate } from './workload-validation.js';

/** apps/v1 DaemonSet (kube's pkg/registry/apps/daemonset strategy, apps/v1 defaults). No scale. */

function defaultDaemonSet(ds: KubeObject): void {
  const spec = child(ds, 'spec');
  const strategy = child(spec, 'updateStrategy');
  setDefaultString(strategy, 'type', 'RollingUpdate');
  if (strategy.type === 'RollingUpdate') {
    const rolling = child(strategy, 'rollingUpdate');
    setDefault(rolling, 'maxUnavailable', 1);
    setDefault(rolling, 'maxSurge', 0);
  }
  setDefault(spec, 'revisionHistoryLimit', 10);
  defaultTemplate(ds);
}

function validateDaemonSet(ds: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(ds.spec);
  const causes = nonNegative(spec, 'spec', ['minReadySeconds', 'revisionHistoryLimit']);
  causes.push(...validateSelectorAndTemplate(spec, 'daemonset', 'DaemonSet'));
  const type = str(at(spec, 'updateStrategy', 'type'));
  if (type !== 'RollingUpdate' && type !== 'OnDelete') causes.push(notSupported('spec.updateStrategy.type', type, ['OnDelete', 'RollingUpdate']));
  if (type === 'RollingUpdate') {
    const rolling = rec(at(spec, 'updateStrategy', 'rollingUpdate'));
    const p = 'spec.updateStrategy.rollingUpdate';
    for (const field of ['maxUnavailable', 'maxSurge']) {
      for (const msg of intOrPercentErrors(rolling[field])) causes.push(invalid(`${p}.${field}`, rolling[field], msg));
      for (const msg of notMoreThan100PercentErrors(rolling[field])) causes.push(invalid(`${p}.${field}`, rolling[field], msg));
    }
    const hasUnavailable = intOrPercentValue(rolling.maxUnavailable) !== 0;
    const hasSurge = intOrPercentValue(rolling.maxSurge) !== 0;
    if (hasUnavailable && hasSurge) causes.push(invalid(`${p}.maxSurge`, rolling.maxSurge, 'may not be set when maxUnavailable is non-zero'));
    if (!hasUnavailable && !hasSurge) causes.push(invalid(`${p}.maxUnavailable`, rolling.maxUnavailable, 'cannot be 0 when maxSurge is 0'));
  }
  causes.push(...immutableSelector(ds, old));
  return causes;
}

const int = (name: string, description: string, field: string): TableColumn => column(name, 'integer', description, (o) => num(at(o, 'status', field)));

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  int(
    'Desired',
    'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon pod).',
    'desiredNumberScheduled',
  ),
  int('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', 'currentNumberScheduled'),
  int(
    'Ready',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running with a Ready Condition.',
    'numberReady',
  ),
  int('Up-to-date', 'The total number of nodes that are running updated daemon pod', 'updatedNumberScheduled'),
  int(
    'Available',
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)',
    'numberAvailable',
  ),
  column('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.', (o) =>
    formatLabels(at(o, 'spec', 'template', 'spec', 'nodeSelector')),
  ),
  ageColumn(),
  ...templateColumns(),
  selectorColumn('A label query over pods that are managed by the daemon set.'),
];

export const daemonSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  plural: 'daemonsets',
  singular: 'daemonset',
  namespaced: true,
  shortNames: ['ds'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.DaemonSet',
  subresources: ['status'],
  nameRule: 'subdomain',
  columns: COLUMNS,
  specFields: ['spec'],
  defaults: defaultDaemonSet,
  prepareForCreate: (ds) => {
    ds.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  },
  validate: validateDaemonSet,
};
