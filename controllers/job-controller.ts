import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources, splitKey } from '../kube/client/resource.js';
import type { Clock } from '../kube/clock.js';
import { type LabelSelector, labelSelectorFromObject } from '../kube/labels/label-selector.js';
import { isPlainObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { claimObjects, controllerRefOf, newControllerRef, recheckOwner } from './controller-ref.js';
import { canonicalJson } from './controller-revision.js';
import { ControllerExpectations } from './expectations.js';
import { type BackoffRecord, NO_BACKOFF, remainingBackoffMs, updateBackoff } from './job-backoff.js';
import {
  completionsOf,
  finishedCondition,
  hasTrueCondition,
  type Job,
  JobConditions,
  JobMessages,
  JobReasons,
  newCondition,
  readUncounted,
  setCondition,
  uncountedStatus,
} from './job-status.js';
import {
  flushUncounted,
  hasTrackingFinalizer,
  isJobPodActive,
  isJobPodTerminating,
  JOB_TRACKING_FINALIZER,
  removeFinalizerPatch,
  trackFinishedPods,
} from './job-tracking.js';
import { PodControl, SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from './pod-control.js';
import { isPodReady, podKey, podsToDelete } from './pod-utils.js';
import { intOr, isBeingDeleted, parseTimeMs, rfc3339 } from './workload-fields.js';
import type { Pod } from './workload-types.js';

/**
 * The Job controller (kube's pkg/controller/job): runs min(parallelism, remaining completions)
 * pods, replaces failed ones after an exponential back-off, fails the Job past backoffLimit or
 * activeDeadlineSeconds, and counts finished pods exactly once through the tracking finalizer
 * (job-tracking.ts). Queue keys are Job keys, plus `pod:<ns>/<name>` for a pod that still holds
 * the finalizer after its Job is gone (the finalizer must come off or the pod never goes away).
 */

const KIND = 'Job';
const ORPHAN_PREFIX = 'pod:';
/** At most this many pod creates or deletes per sync (kube's MaxPodCreateDeletePerSync). */
const MAX_POD_CHANGES_PER_SYNC = 500;

type Outcome = { readonly kind: 'failure'; readonly reason: string; readonly message: string } | { readonly kind: 'success' };

function selectorOf(job: Job): LabelSelector | undefined {
  try {
    return labelSelectorFromObject(job.spec?.selector);
  } catch {
    return undefined;
  }
}

/** For restartPolicy OnFailure, restarts in place count against backoffLimit (pastBackoffLimitOnFailure). */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    const phase = p.status?.phase;
    if (phase !== 'Running' && phase !== 'Pending') continue;
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += intOr(s.restartCount, 0);
  }
  const limit = intOr(job.spec?.backoffLimit, 6);
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

export class JobController implements Controller {
  readonly name = 'job';
  readonly workers = 5;
  readonly queue: WorkQueue<string>;
  readonly expectations: ControllerExpectations;
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly podControl: PodControl;
  private readonly jobs: Informer<Job>;
  private readonly pods: Informer<Pod>;
  /** Per Job key, the pod uids whose finalizer removal was issued and not yet seen. */
  private readonly finalizerRemovals = new Map<string, Set<string>>();
  private readonly backoff = new Map<string, BackoffRecord>();

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.clock = ctx.clock;
    this.recorder = ctx.recorder;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.expectations = new ControllerExpectations(ctx.clock);
    this.podControl = new PodControl(ctx.client, ctx.recorder);
    this.jobs = ctx.informers.informerFor<Job>(Resources.jobs);
    this.pods = ctx.informers.informerFor<Pod>(Resources.pods);
    this.jobs.addHandlers({
      onAdd: (j) => this.queue.add(objectKey(j)),
      onUpdate: (_, j) => this.queue.add(objectKey(j)),
      onDelete: (j) => {
        const key = objectKey(j);
        this.expectations.delete(key);
        this.finalizerRemovals.delete(key);
        this.backoff.delete(key);
        // Its pods may still hold the finalizer: each is released on its own.
        for (const p of this.pods.lister.byIndex(IndexNames.controllerUid, j.metadata.uid ?? '')) {
          if (hasTrackingFinalizer(p)) this.queue.add(ORPHAN_PREFIX + objectKey(p));
        }
      },
    });
    this.pods.addHandlers({
      onAdd: (p) => {
        const key = this.jobKeyOf(p);
        if (key && isBeingDeleted(p)) this.expectations.deletionObserved(key, podKey(p));
        else if (key) this.expectations.creationObserved(key);
        this.enqueuePod(p);
      },
      onUpdate: (old, p) => {
        const key = this.jobKeyOf(p);
        if (key && !isBeingDeleted(old) && isBeingDeleted(p)) this.expectations.deletionObserved(key, podKey(p));
        if (hasTrackingFinalizer(old) && !hasTrackingFinalizer(p)) this.finalizerGone(p);
        const before = controllerRefOf(old);
        if (before && before.uid !== controllerRefOf(p)?.uid) this.enqueuePod(old);
        this.enqueuePod(p);
      },
      onDelete: (p) => {
        const key = this.jobKeyOf(p);
        if (key) this.expectations.deletionObserved(key, podKey(p));
        this.finalizerGone(p);
        this.enqueuePod(p);
      },
    });
  }

  /** The key of the cached Job controlling the pod (same uid), if any. */
  private jobKeyOf(pod: Pod): string | undefined {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== KIND) return undefined;
    const job = this.jobs.lister.get(`${pod.metadata.namespace ?? ''}/${ref.name}`);
    return job && job.metadata.uid === ref.uid ? objectKey(job) : undefined;
  }

  private finalizerGone(pod: Pod): void {
    const ref = controllerRefOf(pod);
    if (ref?.kind !== KIND) return;
    const key = `${pod.metadata.namespace ?? ''}/${ref.name}`;
    const set = this.finalizerRemovals.get(key);
    set?.delete(pod.metadata.uid ?? '');
    if (set?.size === 0) this.finalizerRemovals.delete(key);
  }

  private enqueuePod(pod: Pod): void {
    const key = this.jobKeyOf(pod);
    if (key) {
      this.queue.add(key);
      return;
    }
    if (hasTrackingFinalizer(pod)) {
      this.queue.add(ORPHAN_PREFIX + objectKey(pod));
      return;
    }
    if (controllerRefOf(pod) || isBeingDeleted(pod)) return;
    for (const job of this.jobs.lister.byIndex(IndexNames.namespace, pod.metadata.namespace ?? '')) {
      const selector = selectorOf(job);
      if (selector && !selector.isEverything() && selector.matches(pod.metadata.labels)) this.queue.add(objectKey(job));
    }
  }

  async sync(key: string): Promise<void> {
    if (key.startsWith(ORPHAN_PREFIX)) return this.releaseOrphan(key.slice(ORPHAN_PREFIX.length));
    const cached = this.jobs.lister.get(key);
    if (!cached) {
      this.expectations.delete(key);
      this.finalizerRemovals.delete(key);
      this.backoff.delete(key);
      return;
    }
    let job = structuredClone(cached);
    const owned = this.pods.lister.byIndex(IndexNames.controllerUid, job.metadata.uid ?? '');
    if (finishedCondition(job)) {
      // Finished: whatever still holds the finalizer is released, nothing else changes.
      await this.removeFinalizers(key, owned.filter(hasTrackingFinalizer));
      return;
    }
    const selector = selectorOf(job);
    if (!selector || selector.isEverything()) return;
    const { namespace } = splitKey(key);
    const pods = await claimObjects<Pod>(this.pods.lister.byIndex(IndexNames.namespace, namespace ?? ''), {
      client: this.client,
      owner: job,
      ownerRef: newControllerRef(job, 'batch/v1', KIND),
      resource: Resources.pods,
      match: (p) => selector.matches(p.metadata.labels),
      canAdopt: recheckOwner(this.client, Resources.jobs, job),
    });

    const nowMs = this.clock.now();
    const spec = job.spec ?? {};
    const status = structuredClone(job.status ?? {});
    const conditions = [...(status.conditions ?? [])];
    const deleting = isBeingDeleted(job);
    const satisfied = this.expectations.satisfied(key);
    const expected = this.finalizerRemovals.get(key) ?? new Set<string>();
    const onlyReplaceFailed = spec.podReplacementPolicy === 'Failed' || isPlainObject(spec.podFailurePolicy);
    const suspended = spec.suspend === true;

    // Phase 1 of the count: which finished pods are new.
    const failingAlready = hasTrueCondition(job, JobConditions.FailureTarget);
    const tracked = trackFinishedPods({
      pods,
      uncounted: readUncounted(job),
      expectedRemovals: expected,
      onlyReplaceFailed,
      failing: failingAlready !== undefined,
      releasing: deleting,
    });
    const succeeded = intOr(status.succeeded, 0) + tracked.uncounted.succeeded.length;
    const failed = intOr(status.failed, 0) + tracked.uncounted.failed.length;
    const record = updateBackoff(this.backoff.get(key) ?? NO_BACKOFF, tracked.newlySucceeded, tracked.newlyFailed, nowMs);
    if (status.startTime === undefined && !suspended) status.startTime = rfc3339(nowMs);

    let active = pods.filter(isJobPodActive);
    let outcome: Outcome | undefined;
    const successMet = hasTrueCondition(job, JobConditions.SuccessCriteriaMet);
    if (failingAlready) outcome = { kind: 'failure', reason: failingAlready.reason ?? '', message: failingAlready.message ?? '' };
    else if (successMet) outcome = { kind: 'success' };
    else if (failed > intOr(spec.backoffLimit, 6) || pastBackoffLimitOnFailure(job, pods)) {
      outcome = { kind: 'failure', reason: JobReasons.BackoffLimitExceeded, message: JobMessages.BackoffLimitExceeded };
    } else if (this.pastActiveDeadline(job, status.startTime, suspended, nowMs)) {
      outcome = { kind: 'failure', reason: JobReasons.DeadlineExceeded, message: JobMessages.DeadlineExceeded };
    } else if (typeof spec.activeDeadlineSeconds === 'number' && !suspended) {
      const startMs = parseTimeMs(status.startTime) ?? nowMs;
      this.queue.addAfter(key, Math.max(0, startMs + spec.activeDeadlineSeconds * 1000 - nowMs));
    }

    let failure: unknown;
    let stopping = 0;
    if (outcome?.kind === 'failure') {
      // Its running pods are stopped; they keep the finalizer and count as failures once deleted.
      const stopped = await this.deletePods(key, job, active, false);
      if (stopped.error) failure = stopped.error;
      stopping = stopped.deleted.length;
      active = active.filter((p) => !stopped.deleted.includes(p));
    } else if (!outcome) {
      if (satisfied && !deleting) {
        try {
          const want = this.wantActive(job, active.length, succeeded);
          active = await this.manage(key, job, active, want, record, nowMs);
        } catch (e) {
          failure = e;
        }
        this.noteSuspension(job, conditions, status, nowMs);
      }
      const completions = completionsOf(job);
      const complete = completions === undefined ? succeeded > 0 && active.length === 0 : succeeded >= completions && active.length === 0;
      if (complete) outcome = { kind: 'success' };
    }
    if (outcome?.kind === 'failure' && !failingAlready)
      setCondition(conditions, newCondition(JobConditions.FailureTarget, 'True', outcome.reason, outcome.message, nowMs));
    if (outcome?.kind === 'success' && !successMet) {
      setCondition(conditions, newCondition(JobConditions.SuccessCriteriaMet, 'True', JobReasons.CompletionsReached, JobMessages.CompletionsReached, nowMs));
    }
    status.conditions = conditions;
    status.active = active.length;
    status.ready = active.filter((p) => isPodReady(p)).length;
    status.terminating = pods.filter(isJobPodTerminating).length + stopping;
    status.uncountedTerminatedPods = uncountedStatus(tracked.uncounted);
    if (canonicalJson(status) !== canonicalJson(job.status ?? {})) job = await this.putStatus(job, status);
    // Only now is this sync's view of the finished pods on record.
    this.backoff.set(key, record);

    // Phase 2: finalizers off. Phase 3: what lost them is counted.
    const removed = await this.removeFinalizers(key, tracked.removeFinalizer);
    if (removed.error) failure ??= removed.error;
    const gone = this.finalizerRemovals.get(key) ?? new Set<string>();
    const withFinalizer = new Set(pods.filter((p) => hasTrackingFinalizer(p) && !gone.has(p.metadata.uid ?? '')).map((p) => p.metadata.uid ?? ''));
    const flushed = flushUncounted(tracked.uncounted, withFinalizer);
    const next = structuredClone(job.status ?? {});
    next.succeeded = intOr(next.succeeded, 0) + flushed.succeeded;
    next.failed = intOr(next.failed, 0) + flushed.failed;
    next.uncountedTerminatedPods = uncountedStatus(flushed.uncounted);
    if (outcome) this.finish(job, next, outcome, flushed.uncounted.succeeded.length + flushed.uncounted.failed.length, nowMs);
    if (canonicalJson(next) !== canonicalJson(job.status ?? {})) await this.putStatus(job, next);
    if (failure) throw failure;
  }

  private pastActiveDeadline(job: Job, startTime: string | undefined, suspended: boolean, nowMs: number): boolean {
    const deadline = job.spec?.activeDeadlineSeconds;
    const startMs = parseTimeMs(startTime);
    if (typeof deadline !== 'number' || startMs === undefined || suspended) return false;
    return nowMs - startMs >= deadline * 1000;
  }

  /** How many pods should run (kube's manageJob): the remaining completions, at most parallelism; none while suspended. */
  private wantActive(job: Job, active: number, succeeded: number): number {
    if (job.spec?.suspend === true) return 0;
    const parallelism = Math.max(0, intOr(job.spec?.parallelism, 1));
    const completions = completionsOf(job);
    // Without completions the Job is done at the first success: no new pods after it.
    if (completions === undefined) return succeeded > 0 ? active : parallelism;
    return Math.min(Math.max(completions - succeeded, 0), parallelism);
  }

  /** Creates or deletes pods towards `want`; returns the pods now active (created ones included as far as known). */
  private async manage(key: string, job: Job, active: Pod[], want: number, record: BackoffRecord, nowMs: number): Promise<Pod[]> {
    if (active.length > want) {
      const victims = podsToDelete(active, active, Math.min(active.length - want, MAX_POD_CHANGES_PER_SYNC), nowMs);
      this.expectations.expectDeletions(key, victims.map(podKey));
      // Removed on purpose, not failures: the finalizer comes off first so they are never counted.
      const result = await this.deletePods(key, job, victims, true);
      if (result.error) throw result.error;
      return active.filter((p) => !result.deleted.includes(p));
    }
    if (active.length === want) return active;
    const waitMs = remainingBackoffMs(record, nowMs);
    if (waitMs > 0) {
      this.queue.addAfter(key, waitMs);
      return active;
    }
    const count = Math.min(want - active.length, MAX_POD_CHANGES_PER_SYNC);
    this.expectations.expectCreations(key, count);
    const template = job.spec?.template ?? {};
    let issued = 0;
    const created: Pod[] = [];
    const { error } = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      issued++;
      try {
        created.push(
          await this.podControl.createPod(template, job, newControllerRef(job, 'batch/v1', KIND), (pod) => {
            pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), JOB_TRACKING_FINALIZER];
          }),
        );
      } catch (e) {
        this.expectations.creationObserved(key);
        throw e;
      }
    });
    for (let i = issued; i < count; i++) this.expectations.creationObserved(key);
    if (error) throw error;
    return [...active, ...created];
  }

  /** Suspended and resumed conditions, events, and a fresh startTime on resume (the deadline counts continuous running). */
  private noteSuspension(job: Job, conditions: JobStatusConditions, status: NonNullable<Job['status']>, nowMs: number): void {
    if (job.spec?.suspend === true) {
      if (setCondition(conditions, newCondition(JobConditions.Suspended, 'True', 'JobSuspended', 'Job suspended', nowMs)))
        this.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
    } else if (conditions.some((c) => c.type === JobConditions.Suspended)) {
      if (setCondition(conditions, newCondition(JobConditions.Suspended, 'False', 'JobResumed', 'Job resumed', nowMs))) {
        this.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
        status.startTime = rfc3339(nowMs);
      }
    }
  }

  /**
   * The terminal condition, once nothing is left to count or to stop (enactJobFinished): no
   * uncounted pods, none active, none terminating.
   */
  private finish(job: Job, status: NonNullable<Job['status']>, outcome: Outcome, uncounted: number, nowMs: number): void {
    if (uncounted > 0 || intOr(status.active, 0) > 0 || intOr(status.terminating, 0) > 0) return;
    const conditions = [...(status.conditions ?? [])];
    if (outcome.kind === 'success') {
      if (!setCondition(conditions, newCondition(JobConditions.Complete, 'True', JobReasons.CompletionsReached, JobMessages.CompletionsReached, nowMs))) return;
      status.completionTime = rfc3339(nowMs);
      this.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      if (!setCondition(conditions, newCondition(JobConditions.Failed, 'True', outcome.reason, outcome.message, nowMs))) return;
      this.recorder.event(job, 'Warning', outcome.reason, outcome.message);
    }
    status.conditions = conditions;
    this.backoff.delete(objectKey(job));
  }

  /** Deletes pods; `dropFinalizer` first removes the tracking finalizer (a removal on purpose is not a failure). */
  private async deletePods(key: string, job: Job, pods: readonly Pod[], dropFinalizer: boolean): Promise<{ deleted: Pod[]; error?: unknown }> {
    const deleted: Pod[] = [];
    let error: unknown;
    await Promise.all(
      pods.map(async (pod) => {
        try {
          if (dropFinalizer && hasTrackingFinalizer(pod)) await this.removeFinalizers(key, [pod], true);
          await this.podControl.deletePod(pod.metadata.namespace, pod.metadata.name ?? '', job);
          deleted.push(pod);
        } catch (e) {
          this.expectations.deletionObserved(key, podKey(pod));
          if (isNotFound(e)) deleted.push(pod);
          else error ??= e;
        }
      }),
    );
    return error === undefined ? { deleted } : { deleted, error };
  }

  /** Patches the finalizer off each pod, remembering the uids until the cache shows it gone. */
  private async removeFinalizers(key: string, pods: readonly Pod[], rethrow = false): Promise<{ error?: unknown }> {
    let error: unknown;
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      const set = this.finalizerRemovals.get(key) ?? new Set<string>();
      set.add(uid);
      this.finalizerRemovals.set(key, set);
      try {
        await this.client.patch(
          Resources.pods,
          pod.metadata.name ?? '',
          removeFinalizerPatch(pod),
          pod.metadata.namespace ? { namespace: pod.metadata.namespace } : {},
        );
      } catch (e) {
        if (isNotFound(e)) continue;
        set.delete(uid);
        if (rethrow) throw e;
        error ??= e;
      }
    }
    return error === undefined ? {} : { error };
  }

  /** The status write; a conflict fails the sync (the counts were computed from what the cache held). */
  private async putStatus(job: Job, status: NonNullable<Job['status']>): Promise<Job> {
    return this.client.updateStatus<Job>(Resources.jobs, { ...job, status });
  }

  /** A pod holding the finalizer whose Job is gone (or no longer controls it): the finalizer comes off. */
  private async releaseOrphan(podKeyText: string): Promise<void> {
    const pod = this.pods.lister.get(podKeyText);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerRefOf(pod);
    if (ref?.kind === KIND) {
      try {
        const job = await this.client.get<Job>(Resources.jobs, ref.name, pod.metadata.namespace);
        if (job.metadata.uid === ref.uid) {
          // Still there: the Job's own sync handles its pods.
          this.queue.add(objectKey(job));
          return;
        }
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    try {
      await this.client.patch(
        Resources.pods,
        pod.metadata.name ?? '',
        removeFinalizerPatch(pod),
        pod.metadata.namespace ? { namespace: pod.metadata.namespace } : {},
      );
      this.logger.debug({ pod: podKeyText }, 'removed the tracking finalizer of an orphan pod');
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

type JobStatusConditions = NonNullable<NonNullable<Job['status']>['conditions']>;

export const jobControllerFactory: ControllerFactory = (ctx) => new JobController(ctx);

export type { Job } from './job-status.js';
