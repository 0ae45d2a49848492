import { type LabelSelector, labelSelectorFromObject, labelSelectorFromSet, selectorToString } from '../../../kube/labels/label-selector.js';
import { isPlainObject, type KubeObject } from '../../../kube/object.js';
import { forbidden, invalid, notSupported, required } from '../../../kube/validation/field-errors.js';
import { isQualifiedName, isValidLabelValue } from '../../../kube/validation/identifiers.js';
import { validateAnnotations, validateLabels } from '../../../kube/validation/object-meta.js';
import type { FieldCause, ScaleAccess } from '../types.js';
import { nonNegativeErrors } from './formats.js';
import { at, child, type JsonRecord, list, num, rec, records, semanticEqual, str, stringMap } from './json.js';
import { validatePodSpec } from './pod-spec-validation.js';

/**
 * What the controllers' kinds share (apps/v1, batch/v1, ReplicationController): label selectors,
 * pod templates that must match them, non-negative counts, immutable selectors, scale access.
 */

/** A metav1.LabelSelector's own validity (kube's ValidateLabelSelector). */
export function validateLabelSelector(sel: unknown, path: string): FieldCause[] {
  if (!isPlainObject(sel)) return [];
  const causes: FieldCause[] = validateLabels(isPlainObject(sel.matchLabels) ? sel.matchLabels : undefined, `${path}.matchLabels`);
  for (const [expr, i] of records(sel.matchExpressions)) {
    const p = `${path}.matchExpressions[${i}]`;
    const values = list(expr.values);
    const op = str(expr.operator);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) causes.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) causes.push(forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
    } else {
      causes.push(invalid(`${p}.operator`, op, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(str(expr.key))) causes.push(invalid(`${p}.key`, str(expr.key), msg));
    values.forEach((v, j) => {
      for (const msg of isValidLabelValue(str(v))) causes.push(invalid(`${p}.values[${j}]`, v, msg));
    });
  }
  return causes;
}

/** The selector of a valid metav1.LabelSelector, or undefined when it cannot be built. */
export function selectorOf(sel: unknown): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(sel);
  } catch {
    return undefined;
  }
}

/** `<field>: must be greater than or equal to 0` for each negative count among `fields` of `obj`. */
export function nonNegative(obj: JsonRecord, path: string, fields: readonly string[]): FieldCause[] {
  return fields.flatMap((f) => nonNegativeErrors(obj[f]).map((msg) => invalid(`${path}.${f}`, obj[f], msg)));
}

/** A pod template's metadata and spec (kube's ValidatePodTemplateSpec), at `path` (`spec.template`). */
export function validatePodTemplate(template: JsonRecord, path: string): FieldCause[] {
  const meta = rec(template.metadata);
  return [
    ...validateLabels(isPlainObject(meta.labels) ? meta.labels : undefined, `${path}.metadata.labels`),
    ...validateAnnotations(isPlainObject(meta.annotations) ? meta.annotations : undefined, `${path}.metadata.annotations`),
    ...validatePodSpec(template.spec, `${path}.spec`, { isPod: false }),
  ];
}

/** Pods of a controller that keeps them running cannot have a deadline; each kind words it its own way. */
function deadlineCause(owner: string, value: unknown, path: string): FieldCause {
  if (owner === 'StatefulSet') return forbidden(path, 'activeDeadlineSeconds in StatefulSet is not Supported');
  if (owner === 'DaemonSet') return invalid(path, value, 'activeDeadlineSeconds must be nil for DaemonSets');
  return invalid(path, value, `activeDeadlineSeconds in ${owner} is not Supported`);
}

/**
 * The template of a controller that keeps pods running (ReplicaSet, Deployment, DaemonSet,
 * StatefulSet, ReplicationController): present, labelled so the selector selects its pods, and
 * restarting always. `owner` names the kind in upstream's activeDeadlineSeconds message.
 */
export function validateTemplateForSelector(templateValue: unknown, selector: LabelSelector | undefined, path: string, owner: string): FieldCause[] {
  if (!isPlainObject(templateValue)) return [required(path)];
  const causes: FieldCause[] = [];
  const labels = stringMap(at(templateValue, 'metadata', 'labels'));
  if (selector && !selector.isEverything() && !selector.matches(labels)) {
    causes.push(invalid(`${path}.metadata.labels`, labels, '`selector` does not match template `labels`'));
  }
  causes.push(...validatePodTemplate(templateValue, path));
  const restartPolicy = str(at(templateValue, 'spec', 'restartPolicy'));
  if (restartPolicy !== 'Always') causes.push(notSupported(`${path}.spec.restartPolicy`, restartPolicy, ['Always']));
  const deadline = at(templateValue, 'spec', 'activeDeadlineSeconds');
  if (deadline !== undefined && deadline !== null) causes.push(deadlineCause(owner, deadline, `${path}.spec.activeDeadlineSeconds`));
  return causes;
}

/**
 * An apps/v1 spec's selector and template: the selector is required and non-empty, and the template
 * must match it. `kindWord` is how upstream's message names the kind (`deployment`).
 */
export function validateSelectorAndTemplate(spec: JsonRecord, kindWord: string, owner: string): FieldCause[] {
  const causes: FieldCause[] = [];
  const sel = spec.selector;
  if (sel === undefined || sel === null) causes.push(required('spec.selector'));
  else {
    causes.push(...validateLabelSelector(sel, 'spec.selector'));
    if (Object.keys(rec(rec(sel).matchLabels)).length + list(rec(sel).matchExpressions).length === 0) {
      causes.push(invalid('spec.selector', sel, `empty selector is invalid for ${kindWord}`));
    }
  }
  const selector = selectorOf(sel);
  if (sel !== undefined && sel !== null && selector === undefined) causes.push(invalid('spec.selector', sel, 'invalid label selector'));
  causes.push(...validateTemplateForSelector(spec.template, selector, 'spec.template', owner));
  return causes;
}

/** apps/v1 forbids changing the selector of an existing object. */
export function immutableSelector(obj: KubeObject, old: KubeObject | undefined): FieldCause[] {
  if (!old) return [];
  const next = at(obj, 'spec', 'selector');
  return semanticEqual(next, at(old, 'spec', 'selector')) ? [] : [invalid('spec.selector', next, 'field is immutable')];
}

/** Scale access of a kind with `spec.replicas`, `status.replicas` and a metav1.LabelSelector. */
export const LABEL_SELECTOR_SCALE: ScaleAccess = {
  specReplicas: (o) => num(at(o, 'spec', 'replicas')),
  statusReplicas: (o) => num(at(o, 'status', 'replicas')),
  selector: (o) => {
    try {
      return selectorToString(at(o, 'spec', 'selector') as never);
    } catch {
      return '';
    }
  },
  setSpecReplicas: (o, replicas) => {
    child(o, 'spec').replicas = replicas;
  },
};

/** Scale access of a ReplicationController, whose selector is a plain label map. */
export const MAP_SELECTOR_SCALE: ScaleAccess = {
  ...LABEL_SELECTOR_SCALE,
  selector: (o) => {
    try {
      return labelSelectorFromSet(stringMap(at(o, 'spec', 'selector'))).toString();
    } catch {
      return '';
    }
  },
};
