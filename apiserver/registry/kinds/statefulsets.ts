import { isPlainObject, type KubeObject } from '../../../kube/object.js';
import { forbidden, notSupported } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn, templateColumns } from '../../table/columns.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, child, type JsonRecord, list, num, rec, records, semanticEqual, setDefault, setDefaultString, str } from './json.js';
import { defaultTemplate } from './pod-defaults.js';
import { immutableSelector, LABEL_SELECTOR_SCALE, nonNegative, validateSelectorAndTemplate } from './workload-validation.js';

/** apps/v1 StatefulSet (kube's pkg/registry/apps/statefulset strategy, apps/v1 defaults). */

function defaultStatefulSet(sts: KubeObject): void {
  const spec = child(sts, 'spec');
  setDefaultString(spec, 'podManagementPolicy', 'OrderedReady');
  const strategy = child(spec, 'updateStrategy');
  if (strategy.type === undefined || strategy.type === '') {
    strategy.type = 'RollingUpdate';
    child(strategy, 'rollingUpdate');
  }
  if (strategy.type === 'RollingUpdate' && strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
    setDefault(child(strategy, 'rollingUpdate'), 'partition', 0);
  }
  const retention = child(spec, 'persistentVolumeClaimRetentionPolicy');
  setDefaultString(retention, 'whenDeleted', 'Retain');
  setDefaultString(retention, 'whenScaled', 'Retain');
  setDefault(spec, 'replicas', 1);
  setDefault(spec, 'revisionHistoryLimit', 10);
  for (const [claim] of records(spec.volumeClaimTemplates)) {
    setDefaultString(child(claim, 'spec'), 'volumeMode', 'Filesystem');
    setDefaultString(child(claim, 'status'), 'phase', 'Pending');
  }
  defaultTemplate(sts);
}

/** The spec fields an update may change; anything else is upstream's Forbidden. */
const UPDATABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function withoutUpdatable(spec: JsonRecord): JsonRecord {
  const rest: JsonRecord = { ...spec };
  for (const f of UPDATABLE) delete rest[f];
  return rest;
}

/**
 * The spec with a volume per volumeClaimTemplate added to the template (what the controller's
 * pods get), so containers may mount the claims by template name, as kube accepts.
 */
function withClaimVolumes(spec: JsonRecord): JsonRecord {
  const names = records(spec.volumeClaimTemplates)
    .map(([claim]) => str(at(claim, 'metadata', 'name')))
    .filter((n) => n !== '');
  if (names.length === 0 || !isPlainObject(spec.template) || !isPlainObject(spec.template.spec)) return spec;
  const podSpec = spec.template.spec;
  const volumes = [...list(podSpec.volumes), ...names.map((name) => ({ name, persistentVolumeClaim: { claimName: name } }))];
  return { ...spec, template: { ...spec.template, spec: { ...podSpec, volumes } } };
}

function validateStatefulSet(sts: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(sts.spec);
  const causes = nonNegative(spec, 'spec', ['replicas', 'minReadySeconds', 'revisionHistoryLimit']);
  const policy = str(spec.podManagementPolicy);
  if (policy !== 'OrderedReady' && policy !== 'Parallel') causes.push(notSupported('spec.podManagementPolicy', policy, ['OrderedReady', 'Parallel']));
  const strategyType = str(at(spec, 'updateStrategy', 'type'));
  if (strategyType !== 'RollingUpdate' && strategyType !== 'OnDelete') {
    causes.push(notSupported('spec.updateStrategy.type', strategyType, ['OnDelete', 'RollingUpdate']));
  }
  const rolling = rec(at(spec, 'updateStrategy', 'rollingUpdate'));
  causes.push(...nonNegative(rolling, 'spec.updateStrategy.rollingUpdate', ['partition']));
  causes.push(...validateSelectorAndTemplate(withClaimVolumes(spec), 'statefulset', 'StatefulSet'));
  if (old) {
    if (!semanticEqual(withoutUpdatable(spec), withoutUpdatable(rec(old.spec)))) {
      causes.push(
        forbidden(
          'spec',
          "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
        ),
      );
    }
    causes.push(...immutableSelector(sts, old));
  }
  return causes;
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Ready', 'string', 'Number of the pod with ready state', (o) => `${num(at(o, 'status', 'readyReplicas'))}/${num(at(o, 'spec', 'replicas'))}`),
  ageColumn(),
  ...templateColumns(),
];

export const statefulSets: ResourceDef = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  plural: 'statefulsets',
  singular: 'statefulset',
  namespaced: true,
  shortNames: ['sts'],
  categories: ['all'],
  schemaName: 'io.k8s.api.apps.v1.StatefulSet',
  subresources: ['status', 'scale'],
  nameRule: 'subdomain',
  columns: COLUMNS,
  specFields: ['spec'],
  defaults: defaultStatefulSet,
  prepareForCreate: (sts) => {
    sts.status = { replicas: 0, availableReplicas: 0 };
  },
  validate: validateStatefulSet,
  scale: LABEL_SELECTOR_SCALE,
};
