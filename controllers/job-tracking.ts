import { isBeingDeleted } from './workload-fields.js';
import type { Pod } from './workload-types.js';

/**
 * Counting a Job's finished pods exactly once (kube's "job tracking with finalizers",
 * pkg/controller/job tracking_utils.go and trackJobStatusAndRemoveFinalizers).
 *
 * Every pod is created with the `batch.kubernetes.io/job-tracking` finalizer, so it cannot vanish
 * before the controller has seen how it ended. Counting is a two-phase commit through the Job's
 * status:
 * 1. a finished pod's uid goes into `status.uncountedTerminatedPods.succeeded|failed`, and that
 *    status is written;
 * 2. the pod's finalizer is removed;
 * 3. every uid in `uncountedTerminatedPods` whose pod no longer has the finalizer (removed, or the
 *    pod gone) moves into the `succeeded`/`failed` counters, and that status is written.
 * A crash between any two steps repeats the step, never a count: a uid is counted only after its
 * finalizer is gone, and a pod without the finalizer is never put in `uncounted` again. Because
 * the cache lags the finalizer removals, the controller remembers the uids whose removal it has
 * issued ("expected removals") and treats them as already removed until the cache catches up.
 */

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export interface Uncounted {
  succeeded: string[];
  failed: string[];
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}

/**
 * A failure for the Job (isPodFailed): phase Failed, or, unless only Failed pods are to be
 * replaced (podReplacementPolicy Failed), deleted before it succeeded — an evicted or removed pod
 * never reaches Failed on its own.
 */
export function isPodFailed(pod: Pod, onlyReplaceFailed: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed') return true;
  if (onlyReplaceFailed) return false;
  return isBeingDeleted(pod) && phase !== 'Succeeded';
}

/** Running or about to (not finished and not being deleted): what `status.active` counts. */
export function isJobPodActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !isBeingDeleted(pod);
}

/** Being deleted but not finished yet: what `status.terminating` counts. */
export function isJobPodTerminating(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return isBeingDeleted(pod) && phase !== 'Succeeded' && phase !== 'Failed';
}

export interface TrackInput {
  readonly pods: readonly Pod[];
  readonly uncounted: Uncounted;
  /** Uids whose finalizer removal was issued and not yet seen in the cache. */
  readonly expectedRemovals: ReadonlySet<string>;
  readonly onlyReplaceFailed: boolean;
  /**
   * The Job is finishing as a failure (FailureTarget): every pod it still has ends as a failure
   * once it is being deleted.
   */
  readonly failing: boolean;
  /** The Job is finished or being deleted: finalizers come off every pod, counted or not. */
  readonly releasing: boolean;
}

export interface TrackResult {
  /** `uncounted` with the newly finished pods added. */
  readonly uncounted: Uncounted;
  readonly newlySucceeded: Pod[];
  readonly newlyFailed: Pod[];
  /** Pods whose finalizer is to come off now (after `uncounted` is written). */
  readonly removeFinalizer: Pod[];
}

/** Phase 1: which finished pods join `uncounted`, and which pods lose the finalizer. */
export function trackFinishedPods(input: TrackInput): TrackResult {
  const uncounted: Uncounted = { succeeded: [...input.uncounted.succeeded], failed: [...input.uncounted.failed] };
  const known = new Set([...uncounted.succeeded, ...uncounted.failed]);
  const newlySucceeded: Pod[] = [];
  const newlyFailed: Pod[] = [];
  const removeFinalizer: Pod[] = [];
  for (const pod of input.pods) {
    const uid = pod.metadata.uid ?? '';
    if (!hasTrackingFinalizer(pod) || input.expectedRemovals.has(uid)) continue;
    const succeeded = pod.status?.phase === 'Succeeded';
    const failed = !succeeded && (isPodFailed(pod, input.onlyReplaceFailed) || (input.failing && isBeingDeleted(pod)));
    if (succeeded || failed) {
      if (!known.has(uid)) {
        if (succeeded) {
          uncounted.succeeded.push(uid);
          newlySucceeded.push(pod);
        } else {
          uncounted.failed.push(uid);
          newlyFailed.push(pod);
        }
        known.add(uid);
      }
      removeFinalizer.push(pod);
    } else if (input.releasing) {
      removeFinalizer.push(pod);
    }
  }
  return { uncounted, newlySucceeded, newlyFailed, removeFinalizer };
}

/**
 * Phase 3: the uids of `uncounted` whose pods no longer carry the finalizer are counted and
 * leave `uncounted` (cleanUncountedPodsWithoutFinalizers). `withFinalizer` holds the uids whose
 * pods may still have it: in the cache with the finalizer, not removed by this sync, and not an
 * expected removal.
 */
export function flushUncounted(uncounted: Uncounted, withFinalizer: ReadonlySet<string>): { uncounted: Uncounted; succeeded: number; failed: number } {
  const still = (uid: string): boolean => withFinalizer.has(uid);
  const next: Uncounted = { succeeded: uncounted.succeeded.filter(still), failed: uncounted.failed.filter(still) };
  return { uncounted: next, succeeded: uncounted.succeeded.length - next.succeeded.length, failed: uncounted.failed.length - next.failed.length };
}

/**
 * The merge patch that removes the tracking finalizer and keeps the others the cache shows (a
 * finalizer added in between would be lost; pods of a Job rarely get any).
 */
export function removeFinalizerPatch(pod: Pod): { metadata: { finalizers: string[] | null } } {
  const rest = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
  return { metadata: { finalizers: rest.length > 0 ? rest : null } };
}
