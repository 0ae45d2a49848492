import t from 'tap';
import type { Controller, ControllerFactory } from '../../../controllers/controller.js';
import { ControllerManager } from '../../../controllers/manager.js';
import { controllerRegistry, enabledControllers, parseControllersFlag } from '../../../controllers/registry.js';
import { replicaSetControllerFactory } from '../../../controllers/replicaset-controller.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { Resources } from '../../../kube/client/resource.js';
import { FakeContext } from './fake-context.js';
import { NS, replicaSet } from './fixtures.js';

/** Let pending promise callbacks and I/O callbacks run. */
async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await flush(1);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function managerOn(
  ctx: FakeContext,
  registry: Record<string, ControllerFactory>,
  names: string[],
): { mgr: ControllerManager; recorders: Map<string, RecordingEventRecorder> } {
  const recorders = new Map<string, RecordingEventRecorder>();
  const mgr = new ControllerManager({
    client: ctx.client,
    informers: ctx.informers,
    logger: ctx.logger,
    clock: ctx.clock,
    controllers: names,
    registry,
    recorderFor: (component) => {
      const r = new RecordingEventRecorder();
      recorders.set(component, r);
      return r;
    },
  });
  return { mgr, recorders };
}

t.test('the manager runs a controller: an informer event becomes a sync that converges', async (t) => {
  const ctx = new FakeContext();
  const { mgr, recorders } = managerOn(ctx, { replicaset: replicaSetControllerFactory }, ['replicaset']);
  await mgr.start();
  t.ok(ctx.informers.started, 'informers were started');
  ctx.seed(Resources.replicasets, replicaSet('web', 2));
  await until(() => ctx.client.callsOf('create', 'pods').length === 2, 'two pods created');
  t.equal(recorders.get('replicaset-controller')?.events.filter((e) => e.reason === 'SuccessfulCreate').length, 2);
  await mgr.stop();
  t.ok(ctx.informers.stopped, 'informers were stopped');
});

t.test('a failing sync is retried with growing backoff until it succeeds, then forgotten', async (t) => {
  const ctx = new FakeContext();
  const attempts: number[] = [];
  let controller: Controller | undefined;
  const flaky: ControllerFactory = (c) => {
    controller = {
      name: 'flaky',
      workers: 1,
      queue: c.newQueue('flaky'),
      sync: async () => {
        attempts.push(ctx.clock.now());
        if (attempts.length < 4) throw new Error('apiserver said no');
      },
    };
    return controller;
  };
  const { mgr } = managerOn(ctx, { flaky }, ['flaky']);
  await mgr.start();
  controller?.queue.add('ns/x');
  await until(() => attempts.length === 1, 'the first attempt');
  // Backoff 5 ms, then 10 ms, then 20 ms: nothing runs before the clock gets there.
  for (const delay of [5, 10, 20]) {
    const before = attempts.length;
    ctx.clock.advance(delay - 1);
    await flush();
    t.equal(attempts.length, before, `no retry before ${delay} ms`);
    ctx.clock.advance(1);
    await until(() => attempts.length === before + 1, `the retry after ${delay} ms`);
  }
  t.equal(attempts.length, 4);
  t.equal(controller?.queue.retries('ns/x'), 0, 'success forgets the backoff');
  t.same(mgr.stats.get('flaky'), { syncs: 4, errors: 3 });
  await mgr.stop();
});

t.test('stop lets workers finish and ends them', async (t) => {
  const ctx = new FakeContext();
  let release: () => void = () => {};
  const synced: string[] = [];
  let controller: Controller | undefined;
  const slow: ControllerFactory = (c) => {
    controller = {
      name: 'slow',
      workers: 2,
      queue: c.newQueue('slow'),
      sync: async (key) => {
        await new Promise<void>((r) => {
          release = r;
        });
        synced.push(key);
      },
    };
    return controller;
  };
  const { mgr } = managerOn(ctx, { slow }, ['slow']);
  await mgr.start();
  controller?.queue.add('a');
  await flush();
  let stopped = false;
  const stopping = mgr.stop().then(() => {
    stopped = true;
  });
  await flush();
  t.notOk(stopped, 'stop waits for the sync in flight');
  release();
  await stopping;
  t.same(synced, ['a']);
  t.ok(controller?.queue.shuttingDown());
});

t.test('an unknown controller name is refused', async (t) => {
  const ctx = new FakeContext();
  t.throws(() => managerOn(ctx, {}, ['nope']), /unknown controller "nope"/);
});

t.test('--controllers: * enables all, -name disables one, a bare name enables only it', async (t) => {
  const all = Object.keys(controllerRegistry);
  t.same(enabledControllers(['*']), all);
  t.same(
    enabledControllers(parseControllersFlag('*,-deployment')),
    all.filter((n) => n !== 'deployment'),
  );
  t.same(enabledControllers(['replicaset']), ['replicaset']);
  t.same(
    enabledControllers(['-replicaset', '*']),
    all.filter((n) => n !== 'replicaset'),
    'the first entry naming a controller decides',
  );
  t.throws(() => enabledControllers(['*', '-bogus']), /"bogus" is not in the list of known controllers/);
  t.ok(all.includes('replicaset') && all.includes('replicationcontroller') && all.includes('deployment'));
});

t.test('the ReplicaSet key reaches the worker as namespace/name', async (t) => {
  const ctx = new FakeContext();
  const keys: string[] = [];
  const spy: ControllerFactory = (c) => {
    const rsc = replicaSetControllerFactory(c);
    return { ...rsc, name: rsc.name, workers: 1, queue: rsc.queue, sync: async (k) => void keys.push(k) };
  };
  const { mgr } = managerOn(ctx, { spy }, ['spy']);
  await mgr.start();
  ctx.seed(Resources.replicasets, replicaSet('web', 1));
  await until(() => keys.length === 1, 'one sync');
  t.same(keys, [`${NS}/web`]);
  await mgr.stop();
});
