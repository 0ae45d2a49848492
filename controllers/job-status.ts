import { isPlainObject, type KubeObject } from '../kube/object.js';
import type { Uncounted } from './job-tracking.js';
import { conditionsOf, parseTimeMs, rfc3339 } from './workload-fields.js';
import type { Condition, PodTemplateSpec } from './workload-types.js';

/**
 * batch/v1 Job fields the Job and TTL controllers read and write, and its conditions as kube
 * (v1.31+) writes them: the interim `SuccessCriteriaMet` / `FailureTarget` as soon as the outcome
 * is known, the terminal `Complete` / `Failed` once every pod has terminated and been counted.
 */

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  suspend?: boolean;
  selector?: unknown;
  template?: PodTemplateSpec;
  podReplacementPolicy?: string;
  podFailurePolicy?: unknown;
  [field: string]: unknown;
}

export interface JobStatus {
  startTime?: string;
  completionTime?: string;
  active?: number;
  ready?: number;
  terminating?: number;
  succeeded?: number;
  failed?: number;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  conditions?: Condition[];
  [field: string]: unknown;
}

export interface Job extends KubeObject {
  spec?: JobSpec;
  status?: JobStatus;
}

export const JobConditions = {
  Complete: 'Complete',
  Failed: 'Failed',
  SuccessCriteriaMet: 'SuccessCriteriaMet',
  FailureTarget: 'FailureTarget',
  Suspended: 'Suspended',
} as const;

export const JobReasons = {
  BackoffLimitExceeded: 'BackoffLimitExceeded',
  DeadlineExceeded: 'DeadlineExceeded',
  CompletionsReached: 'CompletionsReached',
} as const;

export const JobMessages = {
  BackoffLimitExceeded: 'Job has reached the specified backoff limit',
  DeadlineExceeded: 'Job was active longer than specified deadline',
  CompletionsReached: 'Reached expected number of succeeded pods',
} as const;

export function hasTrueCondition(job: Job, type: string): Condition | undefined {
  return conditionsOf(job.status).find((c) => c.type === type && c.status === 'True');
}

/** Complete or Failed: nothing more happens to the Job (IsJobFinished). */
export function finishedCondition(job: Job): Condition | undefined {
  return hasTrueCondition(job, JobConditions.Complete) ?? hasTrueCondition(job, JobConditions.Failed);
}

/** When the Job finished (completionTime, else its terminal condition's transition), ms since the epoch. */
export function finishTimeMs(job: Job): number | undefined {
  const done = finishedCondition(job);
  if (!done) return undefined;
  return done.type === JobConditions.Complete
    ? (parseTimeMs(job.status?.completionTime) ?? parseTimeMs(done.lastTransitionTime))
    : parseTimeMs(done.lastTransitionTime);
}

export function newCondition(type: string, status: 'True' | 'False', reason: string, message: string, nowMs: number): Condition {
  const at = rfc3339(nowMs);
  return { type, status, lastProbeTime: at, lastTransitionTime: at, reason, message };
}

/**
 * Sets a condition (ensureJobConditionStatus): a new one is appended; an existing one changes
 * (with a new transition time) only if its status differs. Returns whether anything changed.
 */
export function setCondition(conditions: Condition[], next: Condition): boolean {
  const i = conditions.findIndex((c) => c.type === next.type);
  const current = i >= 0 ? conditions[i] : undefined;
  if (!current) {
    conditions.push(next);
    return true;
  }
  if (current.status === next.status) return false;
  conditions[i] = next;
  return true;
}

export function readUncounted(job: Job): Uncounted {
  const u = job.status?.uncountedTerminatedPods;
  const ids = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return isPlainObject(u) ? { succeeded: ids(u.succeeded), failed: ids(u.failed) } : { succeeded: [], failed: [] };
}

/** `status.uncountedTerminatedPods` as kube writes it: empty lists are omitted, the object stays. */
export function uncountedStatus(u: Uncounted): { succeeded?: string[]; failed?: string[] } {
  return { ...(u.succeeded.length > 0 ? { succeeded: u.succeeded } : {}), ...(u.failed.length > 0 ? { failed: u.failed } : {}) };
}

export function completionsOf(job: Job): number | undefined {
  const c = job.spec?.completions;
  return typeof c === 'number' && Number.isInteger(c) && c >= 0 ? c : undefined;
}
