/**
 * The shape every Kubernetes object shares (apimachinery's TypeMeta + ObjectMeta), as plain JSON.
 * Objects travel through picokube as parsed JSON; only the fields the control plane itself reads
 * are typed here, the rest is carried untouched.
 */

export interface OwnerReference {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly uid: string;
  readonly controller?: boolean;
  readonly blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** The store's modRevision of the object, as a decimal string (opaque to clients). */
  resourceVersion?: string;
  /** Bumped on every change of the desired state (spec), never on metadata or status changes. */
  generation?: number;
  /** RFC 3339, seconds precision, UTC ("2026-11-27T05:10:45Z"). */
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

/** Any Kubernetes object: kind and apiVersion, metadata, and whatever else the kind has. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A JSON value as parsed from a request body or the store. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
