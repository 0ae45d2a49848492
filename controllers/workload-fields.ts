import type { KubeObject } from '../kube/object.js';
import type { Condition, ReplicaSet } from './workload-types.js';

/**
 * Reading fields of cached objects without trusting their shape: a number that is missing or not
 * a whole number reads as the default the apiserver's defaulting would have given.
 */

export function intOr(v: unknown, dflt: number): number {
  return typeof v === 'number' && Number.isInteger(v) ? v : dflt;
}

/** `spec.replicas`, 1 when unset (apps/v1 and core/v1 default). */
export function specReplicas(obj: { spec?: { replicas?: unknown } }): number {
  return Math.max(0, intOr(obj.spec?.replicas, 1));
}

export function minReadySecondsOf(obj: { spec?: { minReadySeconds?: unknown } }): number {
  return Math.max(0, intOr(obj.spec?.minReadySeconds, 0));
}

export function statusReplicas(rs: ReplicaSet): number {
  return intOr(rs.status?.replicas, 0);
}

export function statusAvailableReplicas(rs: ReplicaSet): number {
  return intOr(rs.status?.availableReplicas, 0);
}

export function statusReadyReplicas(rs: ReplicaSet): number {
  return intOr(rs.status?.readyReplicas, 0);
}

export function generationOf(obj: KubeObject): number {
  return intOr(obj.metadata.generation, 0);
}

export function labelsOf(obj: { metadata?: { labels?: unknown } }): Record<string, string> {
  const labels = obj.metadata?.labels;
  return typeof labels === 'object' && labels !== null && !Array.isArray(labels) ? (labels as Record<string, string>) : {};
}

export function annotationsOf(obj: { metadata?: { annotations?: unknown } }): Record<string, string> {
  const a = obj.metadata?.annotations;
  return typeof a === 'object' && a !== null && !Array.isArray(a) ? (a as Record<string, string>) : {};
}

export function isBeingDeleted(obj: KubeObject): boolean {
  return typeof obj.metadata.deletionTimestamp === 'string' && obj.metadata.deletionTimestamp !== '';
}

/** Kubernetes timestamps: RFC 3339 in UTC with whole seconds (`metav1.Time`). */
export function rfc3339(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/** Milliseconds since the epoch, or undefined for a missing or unreadable timestamp. */
export function parseTimeMs(v: unknown): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

export function creationMs(obj: KubeObject): number | undefined {
  return parseTimeMs(obj.metadata.creationTimestamp);
}

export function conditionsOf(status: { conditions?: unknown } | undefined): Condition[] {
  const c = status?.conditions;
  return Array.isArray(c) ? (c.filter((x) => typeof x === 'object' && x !== null && typeof x.type === 'string') as Condition[]) : [];
}

export function findCondition(status: { conditions?: unknown } | undefined, type: string): Condition | undefined {
  return conditionsOf(status).find((c) => c.type === type);
}

/**
 * client-go's `ReplicaSetsByCreationTimestamp`: older first, the name breaking ties (and objects
 * without a timestamp first, as Go's zero time sorts first).
 */
export function byCreationTimestamp(a: KubeObject, b: KubeObject): number {
  const ta = creationMs(a) ?? 0;
  const tb = creationMs(b) ?? 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}
