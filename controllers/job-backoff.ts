import { parseTimeMs } from './workload-fields.js';
import type { Pod } from './workload-types.js';

/**
 * The pause before a Job replaces a failed pod (kube's backoff_utils.go): 10 s after the first
 * failure since the last success, doubling with each further one, at most 6 minutes, counted from
 * when the last failed pod finished. Pure.
 */

export const JOB_BACKOFF_BASE_MS = 10_000;
export const JOB_BACKOFF_MAX_MS = 6 * 60_000;

export interface BackoffRecord {
  /** Failures counted since the last success. */
  readonly failuresAfterLastSuccess: number;
  /** When the last failed pod finished, ms since the epoch. */
  readonly lastFailureMs: number | undefined;
}

export const NO_BACKOFF: BackoffRecord = { failuresAfterLastSuccess: 0, lastFailureMs: undefined };

/** The delay after `failures` consecutive failures: 0, 10 s, 20 s, 40 s, … ≤ 6 min. */
export function backoffDelayMs(failures: number, baseMs = JOB_BACKOFF_BASE_MS, maxMs = JOB_BACKOFF_MAX_MS): number {
  if (failures <= 0) return 0;
  let delay = baseMs;
  for (let i = 1; i < failures; i++) {
    delay *= 2;
    if (delay >= maxMs) return maxMs;
  }
  return Math.min(delay, maxMs);
}

/** How long until a replacement pod may be created; 0 when it may be now. */
export function remainingBackoffMs(record: BackoffRecord, nowMs: number): number {
  if (record.failuresAfterLastSuccess === 0 || record.lastFailureMs === undefined) return 0;
  const elapsed = nowMs - record.lastFailureMs;
  return Math.max(0, backoffDelayMs(record.failuresAfterLastSuccess) - elapsed);
}

/**
 * When a pod finished: the latest `finishedAt` of its terminated containers, else when its Ready
 * condition last changed, else `fallbackMs` (kube's getFinishedTime).
 */
export function podFinishedMs(pod: Pod, fallbackMs: number): number {
  let latest: number | undefined;
  for (const s of pod.status?.containerStatuses ?? []) {
    const state = s.state as { terminated?: { finishedAt?: unknown } } | undefined;
    const at = parseTimeMs(state?.terminated?.finishedAt);
    if (at !== undefined && (latest === undefined || at > latest)) latest = at;
  }
  if (latest !== undefined) return latest;
  const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
  return parseTimeMs(ready?.lastTransitionTime) ?? fallbackMs;
}

/**
 * The record after newly finished pods (newBackoffRecord): a success newer than the last failure
 * resets the count; each newer failure adds one.
 */
export function updateBackoff(record: BackoffRecord, succeeded: readonly Pod[], failed: readonly Pod[], nowMs: number): BackoffRecord {
  const lastSuccess = succeeded.reduce<number | undefined>((max, p) => Math.max(max ?? 0, podFinishedMs(p, nowMs)), undefined);
  const failures = failed.map((p) => podFinishedMs(p, nowMs)).sort((a, b) => a - b);
  let count = record.failuresAfterLastSuccess;
  let last = record.lastFailureMs;
  if (lastSuccess !== undefined && (last === undefined || lastSuccess >= last)) {
    count = 0;
    last = undefined;
  }
  for (const at of failures) {
    if (lastSuccess !== undefined && at <= lastSuccess) continue;
    count += 1;
    last = last === undefined ? at : Math.max(last, at);
  }
  return { failuresAfterLastSuccess: count, lastFailureMs: last };
}
