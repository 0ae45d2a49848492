import { labelSelectorFromObject } from '../kube/labels/label-selector.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import { parseQuantityNanos } from '../kube/quantity/quantity.js';

/**
 * Which PersistentVolume a PersistentVolumeClaim binds to (kube's FindMatchingVolume in
 * component-helpers/storage/volume/pv_helpers.go and the binder's index). Pure: no I/O, no clock.
 *
 * A volume pre-bound to the claim (its `spec.claimRef` names the claim, with the claim's uid or
 * none) wins over every other, as long as it is big enough. Otherwise the candidates are the
 * volumes that are not bound to anyone (no claimRef), not being deleted, of the claim's
 * storageClassName ("" matches only volumes without a class), with every access mode the claim
 * asks for, the claim's volumeMode, labels its selector matches, and a capacity at least its
 * request; the smallest of them is chosen (ties: fewer access modes, then name, so the choice is
 * deterministic).
 */

export type PersistentVolume = KubeObject;
export type PersistentVolumeClaim = KubeObject;

/** The beta annotation wins over the field, as upstream's GetPersistentVolume(Claim)Class reads it. */
export const BETA_STORAGE_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

function rec(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The storage class of a PV or PVC: the beta annotation, else `spec.storageClassName`, else "". */
export function storageClassOf(obj: KubeObject): string {
  const beta = obj.metadata.annotations?.[BETA_STORAGE_CLASS_ANNOTATION];
  if (beta !== undefined) return beta;
  const name = rec(obj.spec).storageClassName;
  return typeof name === 'string' ? name : '';
}

const NANOS_PER_UNIT = 1_000_000_000n;

/** A storage quantity (`5Gi`, `500M`, `1e9`) in bytes, rounded up; undefined when it is not a quantity. */
export function storageBytes(v: unknown): bigint | undefined {
  const nanos = parseQuantityNanos(v);
  if (nanos === undefined) return undefined;
  if (nanos <= 0n) return 0n;
  return (nanos + NANOS_PER_UNIT - 1n) / NANOS_PER_UNIT;
}

/** The claim's `spec.resources.requests.storage` in bytes (0 when absent or malformed). */
export function requestedBytes(claim: PersistentVolumeClaim): bigint {
  return storageBytes(rec(rec(rec(claim.spec).resources).requests).storage) ?? 0n;
}

/** The volume's `spec.capacity.storage` in bytes (0 when absent or malformed). */
export function capacityBytes(pv: PersistentVolume): bigint {
  return storageBytes(rec(rec(pv.spec).capacity).storage) ?? 0n;
}

export function accessModesOf(obj: KubeObject): string[] {
  return strings(rec(obj.spec).accessModes);
}

function volumeModeOf(obj: KubeObject): string {
  const mode = rec(obj.spec).volumeMode;
  return typeof mode === 'string' && mode !== '' ? mode : 'Filesystem';
}

/** The claim's selector matches the volume's labels; no selector matches every volume; a malformed one matches none. */
function selectorMatches(claim: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const selector = rec(claim.spec).selector;
  if (selector === undefined || selector === null) return true;
  try {
    return labelSelectorFromObject(selector).matches(pv.metadata.labels ?? {});
  } catch {
    return false;
  }
}

/** `spec.claimRef` of a volume, or undefined when it has none. */
export function claimRefOf(pv: PersistentVolume): { namespace: string; name: string; uid: string } | undefined {
  const ref = rec(pv.spec).claimRef;
  if (!isPlainObject(ref)) return undefined;
  const s = (v: unknown): string => (typeof v === 'string' ? v : '');
  return { namespace: s(ref.namespace), name: s(ref.name), uid: s(ref.uid) };
}

/** The volume's claimRef names this claim (kube's IsVolumeBoundToClaim): same namespace and name, and the claim's uid or none. */
export function isVolumeBoundToClaim(pv: PersistentVolume, claim: PersistentVolumeClaim): boolean {
  const ref = claimRefOf(pv);
  if (!ref) return false;
  if (ref.namespace !== (claim.metadata.namespace ?? '') || ref.name !== (claim.metadata.name ?? '')) return false;
  return ref.uid === '' || ref.uid === (claim.metadata.uid ?? '');
}

/** Every mode the claim asks for is one the volume offers. */
export function accessModesSatisfied(claim: PersistentVolumeClaim, pv: PersistentVolume): boolean {
  const offered = new Set(accessModesOf(pv));
  return accessModesOf(claim).every((m) => offered.has(m));
}

/** Why a volume does not fit a claim, or undefined when it does (ignoring claimRef, which the caller judges). */
export function mismatch(claim: PersistentVolumeClaim, pv: PersistentVolume): string | undefined {
  if (pv.metadata.deletionTimestamp) return 'volume is being deleted';
  if (capacityBytes(pv) < requestedBytes(claim)) return 'capacity is smaller than the request';
  if (volumeModeOf(pv) !== volumeModeOf(claim)) return 'volumeMode differs';
  if (storageClassOf(pv) !== storageClassOf(claim)) return 'storageClassName differs';
  if (!accessModesSatisfied(claim, pv)) return 'access modes do not cover the claim';
  if (!selectorMatches(claim, pv)) return 'selector does not match';
  return undefined;
}

function compareCandidates(a: PersistentVolume, b: PersistentVolume): number {
  const ca = capacityBytes(a);
  const cb = capacityBytes(b);
  if (ca !== cb) return ca < cb ? -1 : 1;
  const ma = accessModesOf(a).length;
  const mb = accessModesOf(b).length;
  if (ma !== mb) return ma - mb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/**
 * The volume the claim should bind to, or undefined when none fits: a fitting volume pre-bound to
 * the claim first, else the smallest fitting free one.
 */
export function findMatchingVolume(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[]): PersistentVolume | undefined {
  let best: PersistentVolume | undefined;
  for (const pv of volumes) {
    if (isVolumeBoundToClaim(pv, claim)) {
      // A pre-bound volume need only be big enough and alive: the admin chose it (kube checks capacity and mode only).
      if (!pv.metadata.deletionTimestamp && capacityBytes(pv) >= requestedBytes(claim) && volumeModeOf(pv) === volumeModeOf(claim)) return pv;
      continue;
    }
    if (claimRefOf(pv) !== undefined) continue;
    if (mismatch(claim, pv) !== undefined) continue;
    if (best === undefined || compareCandidates(pv, best) < 0) best = pv;
  }
  return best;
}
