import { isPlainObject, type KubeObject } from '../kube/object.js';
import { CONTROLLER_REVISION_HASH_LABEL, controllerRefTo } from './controller-revision.js';

/**
 * A StatefulSet pod's stable identity (kube's stateful_set_utils.go): name `<set>-<ordinal>`,
 * the `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index` labels, hostname =
 * pod name and subdomain = the governing Service, and one PersistentVolumeClaim per
 * volumeClaimTemplate named `<template>-<set>-<ordinal>`, mounted through a volume of the
 * template's name. Pure.
 */

export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';

const ORDINAL_PATTERN = /^(.*)-([0-9]+)$/;

/** The parent name and ordinal a pod name encodes, or undefined for a name that is not `<parent>-<n>`. */
export function parseOrdinal(podName: string): { parent: string; ordinal: number } | undefined {
  const m = ORDINAL_PATTERN.exec(podName);
  if (!m) return undefined;
  const ordinal = Number.parseInt(m[2] ?? '', 10);
  return Number.isSafeInteger(ordinal) ? { parent: m[1] ?? '', ordinal } : undefined;
}

/** Whether the pod's name says it belongs to this set (isMemberOf). */
export function isMemberOf(set: KubeObject, pod: KubeObject): boolean {
  return parseOrdinal(pod.metadata.name ?? '')?.parent === set.metadata.name;
}

export function ordinalOf(pod: KubeObject): number {
  return parseOrdinal(pod.metadata.name ?? '')?.ordinal ?? -1;
}

export function podName(set: KubeObject, ordinal: number): string {
  return `${set.metadata.name ?? ''}-${ordinal}`;
}

function specOf(obj: KubeObject): Record<string, unknown> {
  return isPlainObject(obj.spec) ? obj.spec : {};
}

/** `spec.ordinals.start` (default 0): the first ordinal of the set. */
export function startOrdinal(set: KubeObject): number {
  const ordinals = specOf(set).ordinals;
  const start = isPlainObject(ordinals) ? ordinals.start : undefined;
  return typeof start === 'number' && start >= 0 ? start : 0;
}

export function replicasOf(set: KubeObject): number {
  const r = specOf(set).replicas;
  return typeof r === 'number' && r >= 0 ? r : 1;
}

export function serviceNameOf(set: KubeObject): string {
  const s = specOf(set).serviceName;
  return typeof s === 'string' ? s : '';
}

/** The set's volumeClaimTemplates that have a name. */
export function claimTemplates(set: KubeObject): Record<string, unknown>[] {
  const t = specOf(set).volumeClaimTemplates;
  if (!Array.isArray(t)) return [];
  return t.filter((c): c is Record<string, unknown> => isPlainObject(c) && isPlainObject(c.metadata) && typeof c.metadata.name === 'string');
}

function templateName(claim: Record<string, unknown>): string {
  const meta = claim.metadata;
  return isPlainObject(meta) && typeof meta.name === 'string' ? meta.name : '';
}

export function claimName(set: KubeObject, claimTemplate: string, ordinal: number): string {
  return `${claimTemplate}-${set.metadata.name ?? ''}-${ordinal}`;
}

function selectorMatchLabels(set: KubeObject): Record<string, string> {
  const selector = specOf(set).selector;
  const ml = isPlainObject(selector) ? selector.matchLabels : undefined;
  const out: Record<string, string> = {};
  if (isPlainObject(ml)) for (const [k, v] of Object.entries(ml)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** The claims the pod of `ordinal` mounts (getPersistentVolumeClaims): the template with the set's selector labels added. */
export function claimsFor(set: KubeObject, ordinal: number): KubeObject[] {
  return claimTemplates(set).map((template) => {
    const claim = structuredClone(template);
    const meta = isPlainObject(claim.metadata) ? claim.metadata : {};
    const labels = isPlainObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
    return {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...meta,
        name: claimName(set, templateName(template), ordinal),
        ...(set.metadata.namespace ? { namespace: set.metadata.namespace } : {}),
        labels: { ...labels, ...selectorMatchLabels(set) },
      },
      spec: isPlainObject(claim.spec) ? claim.spec : {},
    };
  });
}

/** The pod's volumes with one per claim template pointing at that ordinal's claim (updateStorage). */
function volumesWithClaims(set: KubeObject, podSpec: Record<string, unknown>, ordinal: number): unknown[] {
  const templates = claimTemplates(set).map(templateName);
  const existing = Array.isArray(podSpec.volumes) ? podSpec.volumes : [];
  const kept = existing.filter((v) => !(isPlainObject(v) && typeof v.name === 'string' && templates.includes(v.name)));
  const claims = templates.map((name) => ({ name, persistentVolumeClaim: { claimName: claimName(set, name, ordinal) } }));
  return [...claims, ...kept];
}

/**
 * A new pod of `ordinal` from `template` (the current or the update revision's), stamped with the
 * revision name it came from, owned by the set.
 */
export function newStatefulSetPod(set: KubeObject, template: unknown, ordinal: number, revision: string): KubeObject {
  const t = isPlainObject(template) ? structuredClone(template) : {};
  const meta = isPlainObject(t.metadata) ? t.metadata : {};
  const spec = isPlainObject(t.spec) ? t.spec : {};
  const name = podName(set, ordinal);
  const labels = isPlainObject(meta.labels) ? (meta.labels as Record<string, string>) : {};
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      ...(set.metadata.namespace ? { namespace: set.metadata.namespace } : {}),
      labels: { ...labels, [POD_NAME_LABEL]: name, [POD_INDEX_LABEL]: String(ordinal), [CONTROLLER_REVISION_HASH_LABEL]: revision },
      ...(isPlainObject(meta.annotations) ? { annotations: meta.annotations as Record<string, string> } : {}),
      ...(Array.isArray(meta.finalizers) ? { finalizers: meta.finalizers as string[] } : {}),
      ownerReferences: [controllerRefTo(set)],
    },
    spec: { ...spec, hostname: name, ...(serviceNameOf(set) ? { subdomain: serviceNameOf(set) } : {}) },
  };
  const volumes = volumesWithClaims(set, spec, ordinal);
  if (volumes.length > 0) (pod.spec as Record<string, unknown>).volumes = volumes;
  return pod;
}

/**
 * The identity labels are as the set wants them (identityMatches). Hostname and subdomain are set
 * at creation and a pod's spec cannot change them afterwards, so only the labels are checked.
 */
export function identityMatches(set: KubeObject, pod: KubeObject): boolean {
  const parsed = parseOrdinal(pod.metadata.name ?? '');
  const labels = pod.metadata.labels ?? {};
  return (
    parsed !== undefined &&
    parsed.parent === set.metadata.name &&
    labels[POD_NAME_LABEL] === pod.metadata.name &&
    labels[POD_INDEX_LABEL] === String(parsed.ordinal)
  );
}

/** The identity labels to write on a pod that lost them (updateIdentity). */
export function identityLabels(pod: KubeObject): Record<string, string> {
  return { [POD_NAME_LABEL]: pod.metadata.name ?? '', [POD_INDEX_LABEL]: String(ordinalOf(pod)) };
}
