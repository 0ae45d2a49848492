import { isPlainObject } from '../../../kube/object.js';
import { duplicate, forbidden, invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue } from '../../../kube/validation/identifiers.js';
import { validateLabels } from '../../../kube/validation/object-meta.js';
import type { FieldCause } from '../types.js';
import { validateAllContainers } from './container-validation.js';
import { inclusiveRangeError } from './formats.js';
import { type JsonRecord, records, str } from './json.js';
import { volumeSources } from './pod-defaults.js';

/**
 * Validation of a pod spec, a Pod's or a template's (kube's ValidatePodSpec): the rules whose
 * messages users meet, in upstream's order and words.
 */

export const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];
const DNS_POLICIES = ['ClusterFirstWithHostNet', 'ClusterFirst', 'Default', 'None'];
export const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const TOLERATION_OPERATORS = ['Equal', 'Exists'];
const INT32_MAX = 2147483647;

/** The field of a volume source that must name what it mounts. */
const SOURCE_NAME_FIELDS: Readonly<Record<string, string>> = {
  configMap: 'name',
  secret: 'secretName',
  persistentVolumeClaim: 'claimName',
  hostPath: 'path',
};

function validateVolumes(volumes: unknown, path: string): { causes: FieldCause[]; names: Set<string> } {
  const causes: FieldCause[] = [];
  const names = new Set<string>();
  for (const [v, i] of records(volumes)) {
    const p = `${path}[${i}]`;
    const sources = volumeSources(v);
    if (sources.length === 0) causes.push(required(p, 'must specify a volume type'));
    for (const extra of sources.slice(1)) causes.push(forbidden(`${p}.${extra}`, 'may not specify more than 1 volume type'));
    for (const source of sources) {
      const nameField = SOURCE_NAME_FIELDS[source];
      if (nameField && isPlainObject(v[source]) && str((v[source] as JsonRecord)[nameField]) === '') causes.push(required(`${p}.${source}.${nameField}`));
    }
    const name = str(v.name);
    if (name === '') causes.push(required(`${p}.name`));
    else for (const msg of isDns1123Label(name)) causes.push(invalid(`${p}.name`, name, msg));
    if (names.has(name)) causes.push(duplicate(`${p}.name`, name));
    names.add(name);
  }
  return { causes, names };
}

/** One toleration or taint effect; `allowEmpty` for tolerations, where empty matches every effect. */
export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: string): FieldCause[] {
  const e = str(effect);
  if (e === '') return allowEmpty ? [] : [required(path)];
  return TAINT_EFFECTS.includes(e) ? [] : [notSupported(path, e, TAINT_EFFECTS)];
}

export function validateTolerations(tolerations: unknown, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  for (const [t, i] of records(tolerations)) {
    const p = `${path}[${i}]`;
    const key = str(t.key);
    const operator = str(t.operator);
    const effect = str(t.effect);
    if (key !== '') for (const msg of isQualifiedName(key)) causes.push(invalid(`${p}.key`, key, msg));
    if (key === '' && operator !== 'Exists') {
      causes.push(invalid(`${p}.operator`, operator, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null && effect !== 'NoExecute') {
      causes.push(invalid(`${p}.effect`, effect, "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    if (operator === 'Equal' || operator === '') {
      const errs = isValidLabelValue(str(t.value));
      if (errs.length > 0) causes.push(invalid(`${p}.operator`, str(t.value), errs.join(';')));
    } else if (operator === 'Exists') {
      if (str(t.value) !== '') causes.push(invalid(`${p}.operator`, t, "value must be empty when `operator` is 'Exists'"));
    } else {
      causes.push(notSupported(`${p}.operator`, operator, TOLERATION_OPERATORS));
    }
    causes.push(...validateTaintEffect(effect, true, `${p}.effect`));
  }
  return causes;
}

function validateEnum(value: unknown, allowed: readonly string[], path: string): FieldCause[] {
  const v = str(value);
  if (v === '') return [required(path)];
  return allowed.includes(v) ? [] : [notSupported(path, v, allowed)];
}

function validateDnsNames(spec: JsonRecord, path: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const checks: [string, (v: string) => string[]][] = [
    ['nodeName', isDns1123Subdomain],
    ['serviceAccountName', isDns1123Subdomain],
    ['hostname', isDns1123Label],
    ['subdomain', isDns1123Label],
  ];
  for (const [field, check] of checks) {
    const v = str(spec[field]);
    if (v !== '') for (const msg of check(v)) causes.push(invalid(`${path}.${field}`, v, msg));
  }
  return causes;
}

export interface PodSpecOptions {
  /** A Pod's own spec rather than a template's. */
  readonly isPod: boolean;
}

/** Every rule of a pod spec at `path` (`spec`, or `spec.template.spec`). */
export function validatePodSpec(specValue: unknown, path: string, opts: PodSpecOptions): FieldCause[] {
  if (!isPlainObject(specValue)) return [required(path)];
  const spec = specValue;
  const { causes, names } = validateVolumes(spec.volumes, `${path}.volumes`);
  causes.push(...validateAllContainers(spec, path, { volumeNames: names, isPod: opts.isPod }));
  causes.push(...validateEnum(spec.restartPolicy, RESTART_POLICIES, `${path}.restartPolicy`));
  causes.push(...validateEnum(spec.dnsPolicy, DNS_POLICIES, `${path}.dnsPolicy`));
  if (spec.nodeSelector !== undefined) causes.push(...validateLabels(isPlainObject(spec.nodeSelector) ? spec.nodeSelector : {}, `${path}.nodeSelector`));
  const deadline = spec.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && (typeof deadline !== 'number' || deadline < 1 || deadline > INT32_MAX)) {
    causes.push(invalid(`${path}.activeDeadlineSeconds`, deadline, inclusiveRangeError(1, INT32_MAX)));
  }
  causes.push(...validateDnsNames(spec, path));
  causes.push(...validateTolerations(spec.tolerations, `${path}.tolerations`));
  if (spec.dnsPolicy === 'None' && !isPlainObject(spec.dnsConfig)) {
    causes.push(required(`${path}.dnsConfig`, 'must provide `dnsConfig` when `dnsPolicy` is None'));
  }
  return causes;
}
