/**
 * The leader-election record as client-go writes it into a coordination.k8s.io/v1 Lease spec:
 * holderIdentity, leaseDurationSeconds, acquireTime and renewTime (MicroTime: RFC 3339 with
 * microseconds), leaseTransitions. Pure conversions; time comes in as epoch milliseconds.
 */
import { isPlainObject, type KubeObject } from '../object.js';

export interface LeaseSpec {
  /** '' when released. */
  readonly holderIdentity: string;
  readonly leaseDurationSeconds: number;
  readonly acquireTime: string;
  readonly renewTime: string;
  readonly leaseTransitions: number;
}

export interface LeaseObject extends KubeObject {
  spec?: Partial<LeaseSpec>;
}

/** `2026-01-01T00:00:00.123000Z`: kube's MicroTime has six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** What a Lease's spec says, with defaults for missing or malformed fields (never throws). */
export function readLeaseSpec(lease: KubeObject): LeaseSpec {
  const spec = isPlainObject(lease.spec) ? lease.spec : {};
  return {
    holderIdentity: typeof spec.holderIdentity === 'string' ? spec.holderIdentity : '',
    leaseDurationSeconds: typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds > 0 ? spec.leaseDurationSeconds : 0,
    acquireTime: typeof spec.acquireTime === 'string' ? spec.acquireTime : '',
    renewTime: typeof spec.renewTime === 'string' ? spec.renewTime : '',
    leaseTransitions: typeof spec.leaseTransitions === 'number' && spec.leaseTransitions >= 0 ? spec.leaseTransitions : 0,
  };
}

/** Two records are the same observation when every field matches. */
export function sameRecord(a: LeaseSpec | undefined, b: LeaseSpec): boolean {
  return (
    a !== undefined &&
    a.holderIdentity === b.holderIdentity &&
    a.leaseDurationSeconds === b.leaseDurationSeconds &&
    a.acquireTime === b.acquireTime &&
    a.renewTime === b.renewTime &&
    a.leaseTransitions === b.leaseTransitions
  );
}
