import { isPlainObject, type KubeObject } from '../../../kube/object.js';
import { invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { ageColumn, column, nameColumn, selectorColumn, templateColumns } from '../../table/columns.js';
import { humanDuration, parseTimestampMs } from '../../table/human-duration.js';
import type { FieldCause, ResourceDef, TableColumn } from '../types.js';
import { at, child, type JsonRecord, num, rec, records, semanticEqual, setDefault, stringMap } from './json.js';
import { defaultTemplate } from './pod-defaults.js';
import { nonNegative, selectorOf, validateLabelSelector, validatePodTemplate } from './workload-validation.js';

/** batch/v1 Job (kube's pkg/registry/batch/job strategy, batch/v1 defaults). */

const JOB_NAME_LABELS = ['job-name', 'batch.kubernetes.io/job-name'];
const CONTROLLER_UID_LABELS = ['controller-uid', 'batch.kubernetes.io/controller-uid'];
const INT32_MAX = 2147483647;

function defaultJob(job: KubeObject): void {
  const spec = child(job, 'spec');
  if ((spec.completions === undefined || spec.completions === null) && (spec.parallelism === undefined || spec.parallelism === null)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex !== undefined && spec.backoffLimitPerIndex !== null ? INT32_MAX : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', isPlainObject(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  const templateLabels = at(spec, 'template', 'metadata', 'labels');
  const meta = job.metadata;
  if (isPlainObject(templateLabels) && Object.keys(meta.labels ?? {}).length === 0) meta.labels = { ...stringMap(templateLabels) };
  defaultTemplate(job);
}

/**
 * Unless the client manages the selector, the apiserver labels the template with the job's name
 * and uid and selects on the uid, so a job's pods can never be another job's. Needs
 * `metadata.uid`, which the handler sets before this runs.
 */
function prepareForCreate(job: KubeObject): void {
  const spec = child(job, 'spec');
  job.status = {};
  if (spec.manualSelector === true) return;
  const template = child(spec, 'template');
  const templateMeta = child(template, 'metadata');
  const labels = child(templateMeta, 'labels');
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  // A label the client set itself is kept; a conflicting one fails validation.
  for (const key of JOB_NAME_LABELS) setDefault(labels, key, name);
  for (const key of CONTROLLER_UID_LABELS) setDefault(labels, key, uid);
  const selector = child(spec, 'selector');
  setDefault(child(selector, 'matchLabels'), 'batch.kubernetes.io/controller-uid', uid);
  // Upstream's read-back defaulting copies the template's labels to an unlabelled job.
  if (Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...stringMap(labels) };
}

/** The generated labels must be on the template and the selector must select them (ValidateGeneratedSelector). */
function validateGeneratedSelector(job: KubeObject): FieldCause[] {
  if (at(job, 'spec', 'manualSelector') === true) return [];
  const uid = job.metadata.uid ?? '';
  const causes: FieldCause[] = [];
  if (uid === '') causes.push(required('metadata.uid'));
  const labels = stringMap(at(job, 'spec', 'template', 'metadata', 'labels'));
  const expect = (key: string, value: string): void => {
    const actual = labels[key];
    if (actual === undefined) causes.push(required(`spec.template.metadata.labels[${key}]`));
    else if (actual !== value) causes.push(invalid(`spec.template.metadata.labels[${key}]`, actual, `must be '${value}'`));
  };
  expect('controller-uid', uid);
  expect('job-name', job.metadata.name ?? '');
  const expected: Record<string, string> = { 'controller-uid': uid, 'batch.kubernetes.io/controller-uid': uid };
  const selector = selectorOf(at(job, 'spec', 'selector'));
  if (selector && !selector.matches(expected)) causes.push(invalid('spec.selector', at(job, 'spec', 'selector'), '`selector` not auto-generated'));
  return causes;
}

function validateTemplate(spec: JsonRecord): FieldCause[] {
  const template = spec.template;
  if (!isPlainObject(template)) return [required('spec.template')];
  const causes: FieldCause[] = [];
  const selector = selectorOf(spec.selector);
  const labels = stringMap(at(template, 'metadata', 'labels'));
  if (selector && !selector.isEverything() && !selector.matches(labels)) {
    causes.push(invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'));
  }
  causes.push(...validatePodTemplate(template, 'spec.template'));
  const restartPolicy = at(template, 'spec', 'restartPolicy');
  if (restartPolicy === 'Always' || restartPolicy === undefined || restartPolicy === '') {
    causes.push(required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    causes.push(notSupported('spec.template.spec.restartPolicy', restartPolicy, ['OnFailure', 'Never']));
  }
  return causes;
}

function validateJob(job: KubeObject, old: KubeObject | undefined): FieldCause[] {
  const spec = rec(job.spec);
  const causes = nonNegative(spec, 'spec', ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']);
  if (spec.selector === undefined || spec.selector === null) causes.push(required('spec.selector'));
  else causes.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const mode = spec.completionMode;
  if (mode !== 'NonIndexed' && mode !== 'Indexed') causes.push(notSupported('spec.completionMode', mode, ['NonIndexed', 'Indexed']));
  if (mode === 'Indexed' && (spec.completions === undefined || spec.completions === null)) {
    causes.push(required('spec.completions', 'when completion mode is Indexed'));
  }
  causes.push(...validateTemplate(spec));
  causes.push(...validateGeneratedSelector(job));
  if (!old) return causes;
  const before = rec(old.spec);
  if (!semanticEqual(spec.selector, before.selector)) causes.push(invalid('spec.selector', spec.selector, 'field is immutable'));
  if (mode !== 'Indexed' && !semanticEqual(spec.completions, before.completions))
    causes.push(invalid('spec.completions', spec.completions, 'field is immutable'));
  if (!semanticEqual(spec.completionMode, before.completionMode)) causes.push(invalid('spec.completionMode', spec.completionMode, 'field is immutable'));
  // The template may change only while a job that never started is suspended; picokube keeps it fixed.
  if (!semanticEqual(spec.template, before.template) && !(before.suspend === true && at(old, 'status', 'startTime') === undefined)) {
    causes.push(invalid('spec.template', spec.template, 'field is immutable'));
  }
  return causes;
}

function hasCondition(job: KubeObject, type: string): boolean {
  return records(at(job, 'status', 'conditions')).some(([c]) => c.type === type && c.status === 'True');
}

function jobStatus(job: KubeObject): string {
  if (hasCondition(job, 'Complete')) return 'Complete';
  if (hasCondition(job, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(job, 'Suspended')) return 'Suspended';
  if (hasCondition(job, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(job, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

function completions(job: KubeObject): string {
  const succeeded = num(at(job, 'status', 'succeeded'));
  const wanted = at(job, 'spec', 'completions');
  if (typeof wanted === 'number') return `${succeeded}/${wanted}`;
  const parallelism = num(at(job, 'spec', 'parallelism'));
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function duration(job: KubeObject, nowMs: number): string {
  const start = parseTimestampMs(at(job, 'status', 'startTime'));
  if (start === undefined) return '';
  const end = parseTimestampMs(at(job, 'status', 'completionTime'));
  return humanDuration((end ?? nowMs) - start);
}

const COLUMNS: readonly TableColumn[] = [
  nameColumn(),
  column('Status', 'string', 'Status of the job.', jobStatus),
  column('Completions', 'string', 'The number of pods which reached phase Succeeded.', completions),
  column('Duration', 'string', 'Time required to complete the job.', duration),
  ageColumn(),
  ...templateColumns(),
  selectorColumn('A label query over pods that should match the pod count.'),
];

export const jobs: ResourceDef = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  plural: 'jobs',
  singular: 'job',
  namespaced: true,
  shortNames: [],
  categories: ['all'],
  schemaName: 'io.k8s.api.batch.v1.Job',
  subresources: ['status'],
  nameRule: 'subdomain',
  columns: COLUMNS,
  fieldSelectors: { 'status.successful': (o) => String(num(at(o, 'status', 'succeeded'))) },
  specFields: ['spec'],
  defaults: defaultJob,
  prepareForCreate,
  validate: validateJob,
};
