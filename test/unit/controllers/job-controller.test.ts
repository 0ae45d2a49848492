import t from 'tap';
import { JobController } from '../../../controllers/job-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { type Bench, newBench, readyStatus } from './fake-context-d2.js';

interface Pod extends KubeObject {
  status?: Record<string, unknown>;
}

interface Job extends KubeObject {
  status?: {
    active?: number;
    succeeded?: number;
    failed?: number;
    ready?: number;
    terminating?: number;
    startTime?: string;
    completionTime?: string;
    uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

function job(spec: Record<string, unknown>): Job {
  const uid = 'job-uid-1';
  const labels = { 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': 'work', 'controller-uid': uid, 'job-name': 'work' };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'work', namespace: 'default', uid, generation: 1 },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } },
      template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
      ...spec,
    },
  };
}

function setup(spec: Record<string, unknown>): { bench: Bench; ctl: JobController } {
  const bench = newBench();
  const ctl = new JobController(bench.ctx);
  bench.seed(Resources.jobs, job(spec));
  return { bench, ctl };
}

async function pods(bench: Bench): Promise<Pod[]> {
  return (await bench.client.list<Pod>(Resources.pods)).items;
}

async function liveJob(bench: Bench): Promise<Job> {
  return bench.client.get<Job>(Resources.jobs, 'work', 'default');
}

const condition = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type && c.status === 'True');

/** The kubelet's part: every pod that is still Pending starts running. */
async function runPending(bench: Bench): Promise<void> {
  for (const p of await pods(bench)) {
    if ((p.status as { phase?: string } | undefined)?.phase) continue;
    await bench.mutate<Pod>(Resources.pods, p.metadata.name ?? '', 'default', (pod) => {
      pod.status = readyStatus('Running', true, bench.clock.now());
    });
  }
}

async function finishPod(bench: Bench, name: string, phase: 'Succeeded' | 'Failed'): Promise<void> {
  await bench.mutate<Pod>(Resources.pods, name, 'default', (pod) => {
    pod.status = readyStatus(phase, false, bench.clock.now());
  });
}

async function sync(bench: Bench, ctl: JobController): Promise<void> {
  await ctl.sync('default/work');
  await bench.reflect();
}

const running = async (bench: Bench): Promise<Pod[]> => (await pods(bench)).filter((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');

t.test('a Job with completions 5 and parallelism 2 never runs more than 2 pods and completes', async (t) => {
  const { bench, ctl } = setup({ completions: 5, parallelism: 2 });
  let mostActive = 0;
  for (let i = 0; i < 30; i++) {
    await sync(bench, ctl);
    await runPending(bench);
    const now = await running(bench);
    mostActive = Math.max(mostActive, now.length);
    const j = await liveJob(bench);
    if (condition(j, 'Complete')) break;
    // One pod finishes per round.
    const first = now[0];
    if (first) await finishPod(bench, first.metadata.name ?? '', 'Succeeded');
  }
  const j = await liveJob(bench);
  t.equal(mostActive, 2, 'two at a time');
  t.equal(bench.client.callsOf('create', 'pods').length, 5, 'exactly 5 pods were created');
  t.match(j.status, { succeeded: 5, failed: 0, active: 0 });
  t.same(j.status?.uncountedTerminatedPods, {});
  t.match(condition(j, 'SuccessCriteriaMet'), { reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' });
  t.match(condition(j, 'Complete'), { reason: 'CompletionsReached' });
  t.ok(j.status?.completionTime && j.status.startTime, 'startTime and completionTime are set');
  t.ok(bench.recorder.events.some((e) => e.reason === 'Completed' && e.message === 'Job completed'));
  t.equal(await pods(bench).then((ps) => ps.filter((p) => (p.metadata.finalizers ?? []).length > 0).length), 0, 'every tracking finalizer came off');
});

t.test('pods are created with the tracking finalizer, the owner reference and the template labels', async (t) => {
  const { bench, ctl } = setup({});
  await sync(bench, ctl);
  const [pod] = await pods(bench);
  t.same(pod?.metadata.finalizers, ['batch.kubernetes.io/job-tracking']);
  t.equal(pod?.metadata.generateName, 'work-');
  t.match(pod?.metadata.labels, {
    'batch.kubernetes.io/job-name': 'work',
    'batch.kubernetes.io/controller-uid': 'job-uid-1',
    'job-name': 'work',
    'controller-uid': 'job-uid-1',
  });
  t.match(pod?.metadata.ownerReferences, [{ kind: 'Job', name: 'work', uid: 'job-uid-1', controller: true, blockOwnerDeletion: true }]);
  t.match((await liveJob(bench)).status, { active: 1, ready: 0, terminating: 0, succeeded: 0, failed: 0 });
});

t.test('failed pods are replaced after 10 s, then 20 s, and the Job fails past backoffLimit', async (t) => {
  const { bench, ctl } = setup({ backoffLimit: 2 });
  await sync(bench, ctl);
  const failCurrent = async (): Promise<void> => {
    await runPending(bench);
    const [p] = await running(bench);
    await finishPod(bench, p?.metadata.name ?? '', 'Failed');
    await sync(bench, ctl);
  };
  await failCurrent();
  t.equal((await liveJob(bench)).status?.failed, 1);
  t.equal(bench.client.callsOf('create', 'pods').length, 1, 'no replacement during the back-off');
  t.equal(bench.queue.lastDelay('default/work'), 10_000, 'the first back-off is 10 s');
  bench.clock.advance(10_000);
  await sync(bench, ctl);
  t.equal(bench.client.callsOf('create', 'pods').length, 2, 'replaced after 10 s');
  await failCurrent();
  t.equal(bench.queue.lastDelay('default/work'), 20_000, 'the second back-off is 20 s');
  bench.clock.advance(19_000);
  await sync(bench, ctl);
  t.equal(bench.client.callsOf('create', 'pods').length, 2, 'not before 20 s');
  bench.clock.advance(1_000);
  await sync(bench, ctl);
  t.equal(bench.client.callsOf('create', 'pods').length, 3);
  await failCurrent();
  const j = await liveJob(bench);
  t.equal(j.status?.failed, 3);
  t.match(condition(j, 'FailureTarget'), { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
  t.match(condition(j, 'Failed'), { reason: 'BackoffLimitExceeded' });
  t.equal(j.status?.completionTime, undefined, 'a failed Job has no completionTime');
  t.ok(bench.recorder.events.some((e) => e.type === 'Warning' && e.reason === 'BackoffLimitExceeded'));
  bench.clock.advance(600_000);
  await sync(bench, ctl);
  t.equal(bench.client.callsOf('create', 'pods').length, 3, 'a failed Job creates nothing more');
});

t.test('activeDeadlineSeconds stops the running pods and fails the Job with DeadlineExceeded once they are gone', async (t) => {
  const { bench, ctl } = setup({ parallelism: 2, completions: 4, activeDeadlineSeconds: 30 });
  await sync(bench, ctl);
  await runPending(bench);
  t.equal(bench.queue.lastDelay('default/work'), 30_000, 'the sync is scheduled for the deadline');
  bench.clock.advance(30_000);
  await sync(bench, ctl);
  let j = await liveJob(bench);
  t.match(condition(j, 'FailureTarget'), { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' });
  t.notOk(condition(j, 'Failed'), 'not Failed while its pods terminate');
  t.equal(bench.client.callsOf('delete', 'pods').length, 2, 'both running pods are deleted');
  t.match(j.status, { active: 0, terminating: 2 });
  await sync(bench, ctl);
  j = await liveJob(bench);
  t.equal(j.status?.failed, 2, 'the stopped pods count as failed');
  await sync(bench, ctl);
  j = await liveJob(bench);
  t.match(condition(j, 'Failed'), { reason: 'DeadlineExceeded' });
  t.equal(j.status?.failed, 2, 'and only once');
  t.equal((await pods(bench)).length, 0, 'their finalizers came off and they are gone');
});

t.test('a finished pod deleted after it was counted is not counted again', async (t) => {
  const { bench, ctl } = setup({ completions: 2, parallelism: 1 });
  await sync(bench, ctl);
  await runPending(bench);
  const [p] = await pods(bench);
  await finishPod(bench, p?.metadata.name ?? '', 'Succeeded');
  await sync(bench, ctl);
  t.equal((await liveJob(bench)).status?.succeeded, 1);
  await bench.client.delete(Resources.pods, p?.metadata.name ?? '', { namespace: 'default' });
  await bench.reflect();
  await sync(bench, ctl);
  await sync(bench, ctl);
  t.equal((await liveJob(bench)).status?.succeeded, 1);
});

t.test('a pod whose finalizer removal failed stays uncounted and is counted once on the next sync', async (t) => {
  const { bench, ctl } = setup({ completions: 2, parallelism: 2 });
  await sync(bench, ctl);
  await runPending(bench);
  const [p] = await pods(bench);
  await finishPod(bench, p?.metadata.name ?? '', 'Succeeded');
  bench.client.failNext('patch', 500);
  await t.rejects(ctl.sync('default/work'));
  await bench.reflect();
  let j = await liveJob(bench);
  t.equal(j.status?.succeeded ?? 0, 0, 'not counted while the pod keeps the finalizer');
  t.same(j.status?.uncountedTerminatedPods, { succeeded: [p?.metadata.uid] }, 'but recorded as uncounted');
  await sync(bench, ctl);
  await sync(bench, ctl);
  j = await liveJob(bench);
  t.equal(j.status?.succeeded, 1);
  t.same(j.status?.uncountedTerminatedPods, {});
});

t.test('a pod that keeps the tracking finalizer after its Job is deleted is released', async (t) => {
  const { bench, ctl } = setup({});
  await sync(bench, ctl);
  const [p] = await pods(bench);
  await bench.client.delete(Resources.jobs, 'work', { namespace: 'default' });
  await bench.client.delete(Resources.pods, p?.metadata.name ?? '', { namespace: 'default' });
  bench.queue.take();
  await bench.reflect();
  const keys = bench.queue.take();
  t.ok(keys.includes(`pod:default/${p?.metadata.name ?? ''}`), 'the orphan pod is queued');
  await ctl.sync(`pod:default/${p?.metadata.name ?? ''}`);
  t.equal((await pods(bench)).length, 0, 'its finalizer came off, so its deletion finished');
});

t.test('a Job without completions is complete once one pod succeeded and the others finished', async (t) => {
  const { bench, ctl } = setup({ completions: null, parallelism: 2 });
  await sync(bench, ctl);
  await runPending(bench);
  const [a, b] = await pods(bench);
  await finishPod(bench, a?.metadata.name ?? '', 'Succeeded');
  await sync(bench, ctl);
  t.equal(bench.client.callsOf('create', 'pods').length, 2, 'no new pod after the first success');
  t.notOk(condition(await liveJob(bench), 'Complete'), 'waits for the other pod');
  await finishPod(bench, b?.metadata.name ?? '', 'Succeeded');
  await sync(bench, ctl);
  t.ok(condition(await liveJob(bench), 'Complete'));
});

t.test('suspending a Job deletes its pods and says so in a condition', async (t) => {
  const { bench, ctl } = setup({ parallelism: 2, completions: 2 });
  await sync(bench, ctl);
  await bench.mutate<Job>(Resources.jobs, 'work', 'default', (j) => {
    (j.spec as { suspend: boolean }).suspend = true;
  });
  await sync(bench, ctl);
  t.equal((await pods(bench)).length, 0);
  const j = await liveJob(bench);
  t.match(condition(j, 'Suspended'), { reason: 'JobSuspended' });
  t.equal(j.status?.failed, 0, 'pods removed by a suspension are not failures');
});
