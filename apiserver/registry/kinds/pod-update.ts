import type { KubeObject } from '../../../kube/object.js';
import { forbidden, invalid, required } from '../../../kube/validation/field-errors.js';
import type { FieldCause } from '../types.js';
import { inclusiveRangeError } from './formats.js';
import { type JsonRecord, list, rec, records, semanticEqual, str } from './json.js';
import { validateTolerations } from './pod-spec-validation.js';

/**
 * A pod's spec is fixed once created (kube's ValidatePodUpdate): only images, a shorter
 * activeDeadlineSeconds, added tolerations, removed scheduling gates and a negative grace period
 * raised to 1 may change. `spec.nodeName` is set through the `binding` subresource, which does not
 * come through here.
 */

const UPDATABLE_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

export const POD_UPDATE_FORBIDDEN = `pod updates may not change fields other than ${UPDATABLE_FIELDS.join(',')}`;

const INT32_MAX = 2147483647;

/** Same count of containers, each with a usable image; `stop` when the counts differ. */
function containerUpdates(next: unknown, old: unknown, path: string): { causes: FieldCause[]; stop: boolean } {
  if (list(next).length !== list(old).length) return { causes: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const causes: FieldCause[] = [];
  for (const [c, i] of records(next)) {
    const image = str(c.image);
    if (image === '') causes.push(required(`${path}[${i}].image`));
    if (image.trim() !== image) causes.push(invalid(`${path}[${i}].image`, image, 'must not have leading or trailing whitespace'));
  }
  return { causes, stop: false };
}

function deadlineUpdate(next: unknown, old: unknown): FieldCause[] {
  const path = 'spec.activeDeadlineSeconds';
  if (next === undefined || next === null) {
    return old === undefined || old === null ? [] : [invalid(path, null, 'must not update from a positive integer to nil value')];
  }
  if (typeof next !== 'number' || next < 0 || next > INT32_MAX) return [invalid(path, next, inclusiveRangeError(0, INT32_MAX))];
  if (typeof old === 'number' && old < next) return [invalid(path, next, 'must be less than or equal to previous value')];
  return [];
}

/** Every old toleration must still be there (its tolerationSeconds may change). */
function onlyAddedTolerations(next: unknown, old: unknown): FieldCause[] {
  const path = 'spec.tolerations';
  for (const [before] of records(old)) {
    const kept = records(next).some(([after]) => semanticEqual({ ...before, tolerationSeconds: after.tolerationSeconds }, after));
    if (!kept) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(next, path);
}

function onlyDeletedGates(next: unknown, old: unknown): FieldCause[] {
  const before = new Set(records(old).map(([g]) => str(g.name)));
  const added = records(next).find(([g]) => !before.has(str(g.name)));
  return added ? [forbidden('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${str(added[0].name)}'`)] : [];
}

/** The new spec with every field that may change put back to its old value. */
function withUpdatableFieldsOf(next: JsonRecord, old: JsonRecord): JsonRecord {
  const munged: JsonRecord = structuredClone(next);
  for (const key of ['containers', 'initContainers']) {
    const oldList = list(old[key]);
    munged[key] = list(munged[key]).map((c, i) => ({ ...rec(c), image: rec(oldList[i]).image }));
    if (next[key] === undefined) delete munged[key];
  }
  munged.activeDeadlineSeconds = old.activeDeadlineSeconds;
  munged.schedulingGates = old.schedulingGates;
  munged.tolerations = old.tolerations;
  const oldGrace = old.terminationGracePeriodSeconds;
  if (typeof oldGrace === 'number' && oldGrace < 0 && munged.terminationGracePeriodSeconds === 1) munged.terminationGracePeriodSeconds = oldGrace;
  return munged;
}

export function validatePodUpdate(pod: KubeObject, old: KubeObject): FieldCause[] {
  const next = rec(pod.spec);
  const before = rec(old.spec);
  const causes: FieldCause[] = [];
  for (const key of ['containers', 'initContainers']) {
    const r = containerUpdates(next[key], before[key], `spec.${key}`);
    causes.push(...r.causes);
    if (r.stop) return causes;
  }
  const deadline = deadlineUpdate(next.activeDeadlineSeconds, before.activeDeadlineSeconds);
  if (deadline.length > 0) return [...causes, ...deadline];
  causes.push(...onlyAddedTolerations(next.tolerations, before.tolerations));
  causes.push(...onlyDeletedGates(next.schedulingGates, before.schedulingGates));
  if (!semanticEqual(withUpdatableFieldsOf(next, before), before)) causes.push(forbidden('spec', POD_UPDATE_FORBIDDEN));
  return causes;
}
