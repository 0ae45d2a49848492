import { isPlainObject, type ObjectMeta } from '../object.js';
import { type FieldError, forbidden, invalid, required, tooLong } from './field-errors.js';
import { isDns1123Label, isDns1123Subdomain, isQualifiedName, isValidLabelValue, isValidPathSegmentName, utf8ByteLength } from './identifiers.js';

/**
 * The generic ObjectMeta checks kube-apiserver runs on every object before the kind's own
 * validation (k8s.io/apimachinery/pkg/api/validation/objectmeta.go), with upstream's field paths:
 * a bad label is reported on `metadata.labels`, not on the label's key.
 */

/** Upstream's `TotalAnnotationSizeLimitB`: all annotation keys and values together, in bytes. */
export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

/** The rule `metadata.name` must follow (the same strings as `NameRule` in apiserver/registry/types.ts). */
export type ObjectNameRule = 'subdomain' | 'label' | 'path';

/**
 * Reasons `name` breaks `rule`. With `prefix` the value is a `generateName`, which may end in '-'
 * since random characters follow it.
 */
export function objectNameErrors(name: string, rule: ObjectNameRule, prefix: boolean): string[] {
  if (rule === 'path') {
    if (!prefix) return isValidPathSegmentName(name);
    return ['/', '%'].filter((bad) => name.includes(bad)).map((bad) => `may not contain '${bad}'`);
  }
  const checked = prefix ? maskTrailingDash(name) : name;
  return rule === 'label' ? isDns1123Label(checked) : isDns1123Subdomain(checked);
}

function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** Label keys must be qualified names and values valid label values; errors are on `fieldPath`. */
export function validateLabels(labels: Readonly<Record<string, unknown>> | undefined, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (labels === undefined) return errs;
  for (const [key, value] of Object.entries(labels)) {
    for (const msg of isQualifiedName(key)) errs.push(invalid(fieldPath, key, msg));
    if (typeof value !== 'string') {
      errs.push(invalid(fieldPath, value, 'label values must be strings'));
      continue;
    }
    for (const msg of isValidLabelValue(value)) errs.push(invalid(fieldPath, value, msg));
  }
  return errs;
}

/**
 * Annotation keys must be qualified names (case-insensitively), and all keys and values together
 * must fit in 256 KiB: the limit kubectl's client-side apply runs into with big manifests.
 */
export function validateAnnotations(annotations: Readonly<Record<string, unknown>> | undefined, fieldPath: string): FieldError[] {
  const errs: FieldError[] = [];
  if (annotations === undefined) return errs;
  let totalBytes = 0;
  for (const [key, value] of Object.entries(annotations)) {
    for (const msg of isQualifiedName(key.toLowerCase())) errs.push(invalid(fieldPath, key, msg));
    if (typeof value !== 'string') errs.push(invalid(fieldPath, value, 'annotation values must be strings'));
    totalBytes += utf8ByteLength(key) + (typeof value === 'string' ? utf8ByteLength(value) : 0);
  }
  if (totalBytes > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES) errs.push(tooLong(fieldPath, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

export interface ObjectMetaRules {
  readonly nameRule: ObjectNameRule;
  /** Namespaced kinds need `metadata.namespace`; cluster-scoped kinds must not have one. */
  readonly namespaced: boolean;
}

/**
 * name / generateName, namespace, generation, labels and annotations of one object, as
 * `ValidateObjectMeta` checks them. `fieldPath` is the path of the metadata (`metadata`).
 */
export function validateObjectMeta(meta: ObjectMeta, rules: ObjectMetaRules, fieldPath = 'metadata'): FieldError[] {
  const errs: FieldError[] = [];
  const { name, generateName, namespace, generation } = meta;
  if (typeof generateName === 'string' && generateName.length > 0) {
    for (const msg of objectNameErrors(generateName, rules.nameRule, true)) {
      errs.push(invalid(`${fieldPath}.generateName`, generateName, msg));
    }
  }
  if (typeof name !== 'string' || name.length === 0) {
    errs.push(required(`${fieldPath}.name`, 'name or generateName is required'));
  } else {
    for (const msg of objectNameErrors(name, rules.nameRule, false)) errs.push(invalid(`${fieldPath}.name`, name, msg));
  }
  if (rules.namespaced) {
    if (typeof namespace !== 'string' || namespace.length === 0) errs.push(required(`${fieldPath}.namespace`));
    else for (const msg of isDns1123Label(namespace)) errs.push(invalid(`${fieldPath}.namespace`, namespace, msg));
  } else if (typeof namespace === 'string' && namespace.length > 0) {
    errs.push(forbidden(`${fieldPath}.namespace`, 'not allowed on this type'));
  }
  if (typeof generation === 'number' && generation < 0) {
    errs.push(invalid(`${fieldPath}.generation`, generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(asRecord(meta.labels), `${fieldPath}.labels`));
  errs.push(...validateAnnotations(asRecord(meta.annotations), `${fieldPath}.annotations`));
  return errs;
}

function asRecord(v: unknown): Readonly<Record<string, unknown>> | undefined {
  return isPlainObject(v) ? v : undefined;
}
