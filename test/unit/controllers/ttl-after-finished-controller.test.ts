import t from 'tap';
import { TtlAfterFinishedController } from '../../../controllers/ttl-after-finished-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { newBench } from './fake-context-d2.js';

function finishedJob(ttl: number | undefined, finishedMs: number, type = 'Complete'): KubeObject {
  const at = `${new Date(finishedMs).toISOString().slice(0, 19)}Z`;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'done', namespace: 'default', uid: 'job-1' },
    spec: { ...(ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl }), template: {} },
    status: { ...(type === 'Complete' ? { completionTime: at } : {}), conditions: [{ type, status: 'True', lastTransitionTime: at }] },
  };
}

t.test('a finished Job is deleted, with Background propagation, once its TTL has passed', async (t) => {
  const bench = newBench();
  const ctl = new TtlAfterFinishedController(bench.ctx);
  bench.seed(Resources.jobs, finishedJob(100, bench.clock.now()));
  t.same(bench.queue.take(), ['default/done']);
  await ctl.sync('default/done');
  t.same(bench.client.callsOf('delete'), [], 'not before the TTL');
  t.equal(bench.queue.lastDelay('default/done'), 100_000, 'queued for the moment it expires');
  bench.clock.advance(100_000);
  await ctl.sync('default/done');
  const [del] = bench.client.callsOf('delete', 'jobs');
  t.match(del, { name: 'done', namespace: 'default', body: { propagationPolicy: 'Background', preconditions: { uid: 'job-1' } } });
});

t.test('a failed Job expires from its Failed condition', async (t) => {
  const bench = newBench();
  const ctl = new TtlAfterFinishedController(bench.ctx);
  bench.seed(Resources.jobs, finishedJob(0, bench.clock.now(), 'Failed'));
  await ctl.sync('default/done');
  t.equal(bench.client.callsOf('delete', 'jobs').length, 1, 'TTL 0 deletes at once');
});

t.test('a Job without a TTL, or not finished, is left alone', async (t) => {
  const bench = newBench();
  const ctl = new TtlAfterFinishedController(bench.ctx);
  bench.seed(Resources.jobs, finishedJob(undefined, bench.clock.now()));
  t.same(bench.queue.take(), []);
  await ctl.sync('default/done');
  const running = finishedJob(5, bench.clock.now());
  running.status = {};
  bench.seed(Resources.jobs, running);
  bench.clock.advance(60_000);
  await ctl.sync('default/done');
  t.same(bench.client.callsOf('delete'), []);
});

t.test('a TTL raised meanwhile is honoured: the fresh read decides', async (t) => {
  const bench = newBench();
  const ctl = new TtlAfterFinishedController(bench.ctx);
  const start = bench.clock.now();
  bench.seed(Resources.jobs, finishedJob(10, start));
  bench.clock.advance(10_000);
  bench.client.seed(Resources.jobs, finishedJob(3600, start));
  await ctl.sync('default/done');
  t.same(bench.client.callsOf('delete'), []);
  t.equal(bench.queue.lastDelay('default/done'), 3_590_000);
});
