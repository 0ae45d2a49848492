import fc from 'fast-check';
import { Registry } from 'prom-client';
import t from 'tap';
import { FakeClock } from '../../../../kube/clock.js';
import { PromWorkQueueMetrics } from '../../../../kube/workqueue/queue-metrics.js';
import { ItemExponentialRateLimiter, TokenBucketRateLimiter } from '../../../../kube/workqueue/rate-limiter.js';
import { RateLimitingQueue } from '../../../../kube/workqueue/work-queue.js';

/** Lets queued promise callbacks run. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function settled<T>(p: Promise<T>): { value: T | undefined; done: boolean } {
  const state: { value: T | undefined; done: boolean } = { value: undefined, done: false };
  void p.then((v) => {
    state.value = v;
    state.done = true;
  });
  return state;
}

t.test('a key added several times before it is taken is handed out once', async (t) => {
  const q = new RateLimitingQueue<string>({ clock: new FakeClock() });
  q.add('a');
  q.add('b');
  q.add('a');
  t.equal(q.len(), 2);
  t.equal(await q.get(), 'a');
  t.equal(await q.get(), 'b');
  t.equal(q.len(), 0);
});

t.test('a key added while it is processed is handed out again only after done', async (t) => {
  const q = new RateLimitingQueue<string>({ clock: new FakeClock() });
  q.add('a');
  const key = await q.get();
  t.equal(key, 'a');
  q.add('a');
  q.add('a');
  t.equal(q.len(), 0, 'not queued while a worker holds it');
  const second = settled(q.get());
  await tick();
  t.equal(second.done, false, 'a second worker does not get the same key');
  q.done('a');
  await tick();
  t.same(second, { value: 'a', done: true }, 'queued once after done');
  q.done('a');
  t.equal(q.len(), 0);
});

t.test('get waits for an add, and waiting workers are served in order', async (t) => {
  const q = new RateLimitingQueue<string>({ clock: new FakeClock() });
  const w1 = settled(q.get());
  const w2 = settled(q.get());
  await tick();
  t.equal(w1.done || w2.done, false);
  q.add('x');
  await tick();
  t.same(w1, { value: 'x', done: true });
  t.equal(w2.done, false);
  q.add('y');
  await tick();
  t.same(w2, { value: 'y', done: true });
});

t.test('addAfter queues the key once the delay has passed on the clock', async (t) => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  q.addAfter('a', 1000);
  t.equal(q.len(), 0);
  t.equal(q.delayedLen(), 1);
  clock.advance(999);
  t.equal(q.len(), 0);
  clock.advance(1);
  t.equal(q.len(), 1);
  t.equal(await q.get(), 'a');
});

t.test('for addAfter of one key an earlier deadline wins and a later one is ignored', async (t) => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  q.addAfter('a', 5000);
  q.addAfter('a', 1000);
  q.addAfter('a', 3000);
  clock.advance(1000);
  t.equal(q.len(), 1, 'ready at the earliest deadline');
  t.equal(await q.get(), 'a');
  q.done('a');
  clock.advance(10_000);
  t.equal(q.len(), 0, 'the superseded deadlines do not add it again');
  t.equal(clock.pending(), 0, 'no timer left behind');
});

t.test('addAfter with no delay adds at once', async (t) => {
  const q = new RateLimitingQueue<string>({ clock: new FakeClock() });
  q.addAfter('a', 0);
  q.addAfter('b', -5);
  t.equal(q.len(), 2);
});

t.test('delayed keys come out in deadline order', async (t) => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  q.addAfter('c', 300);
  q.addAfter('a', 100);
  q.addAfter('b', 200);
  clock.advance(1000);
  t.same([await q.get(), await q.get(), await q.get()], ['a', 'b', 'c']);
});

t.test('addRateLimited backs off per key from 5 ms doubling, and forget starts over', async (t) => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock, qps: 0 });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    q.addRateLimited('a');
    let waited = 0;
    while (q.len() === 0) {
      clock.advance(1);
      waited++;
    }
    delays.push(waited);
    t.equal(await q.get(), 'a');
    q.done('a');
  }
  t.same(delays, [5, 10, 20, 40]);
  t.equal(q.retries('a'), 4);
  q.forget('a');
  t.equal(q.retries('a'), 0);
  q.addRateLimited('a');
  clock.advance(5);
  t.equal(q.len(), 1, 'back to the base delay');
});

t.test('the per-key backoff is capped at the maximum delay', async (t) => {
  const limiter = new ItemExponentialRateLimiter<string>(5, 1_000_000);
  let last = 0;
  for (let i = 0; i < 2000; i++) last = limiter.when('k');
  t.equal(last, 1_000_000);
  t.equal(limiter.when('other'), 5, 'keys back off independently');
});

t.test('the overall token bucket allows a burst of 100, then spaces retries at 10 per second', async (t) => {
  const clock = new FakeClock();
  const bucket = new TokenBucketRateLimiter<string>(10, 100, clock);
  const first = Array.from({ length: 100 }, (_, i) => bucket.when(`k${i}`));
  t.ok(
    first.every((d) => d === 0),
    'the burst goes at once',
  );
  t.equal(bucket.when('k100'), 100);
  t.equal(bucket.when('k101'), 200);
  clock.advance(1000);
  // 10 tokens came back, 2 paid the debt: 8 go at once, the next waits a tenth of a second.
  const refilled = Array.from({ length: 8 }, (_, i) => bucket.when(`r${i}`));
  t.ok(
    refilled.every((d) => d === 0),
    'tokens refill with time',
  );
  t.equal(bucket.when('r8'), 100);
});

t.test('the queue delay is the larger of the key backoff and the overall bucket', async (t) => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock, qps: 10, burst: 1 });
  q.addRateLimited('a'); // key: 5 ms, bucket: 0 → 5 ms
  q.addRateLimited('b'); // key: 5 ms, bucket: 100 ms → 100 ms
  clock.advance(5);
  t.equal(q.len(), 1);
  t.equal(await q.get(), 'a');
  clock.advance(94);
  t.equal(q.len(), 0);
  clock.advance(1);
  t.equal(await q.get(), 'b');
});

t.test('after shutDown get hands out what is queued, then resolves undefined', async (t) => {
  const clock = new FakeClock();
  const q = new RateLimitingQueue<string>({ clock });
  q.add('a');
  q.addAfter('later', 100);
  q.shutDown();
  t.equal(q.shuttingDown(), true);
  q.add('b');
  clock.advance(1000);
  t.equal(await q.get(), 'a', 'drains what was queued');
  t.equal(await q.get(), undefined, 'then ends; adds after shutdown and delayed keys are dropped');
  t.equal(clock.pending(), 0);
});

t.test('shutDown wakes every waiting worker with undefined', async (t) => {
  const q = new RateLimitingQueue<string>({ clock: new FakeClock() });
  const a = q.get();
  const b = q.get();
  q.shutDown();
  t.same(await Promise.all([a, b]), [undefined, undefined]);
});

t.test('shutDownWithDrain resolves once every key handed out is done', async (t) => {
  const q = new RateLimitingQueue<string>({ clock: new FakeClock() });
  q.add('a');
  const key = await q.get();
  const drained = settled(q.shutDownWithDrain());
  await tick();
  t.equal(drained.done, false);
  q.done(key as string);
  await tick();
  t.equal(drained.done, true);
});

t.test('metrics count adds, retries and depth by queue name', async (t) => {
  const registry = new Registry();
  const q = new RateLimitingQueue<string>({ clock: new FakeClock(), name: 'replicaset', metrics: new PromWorkQueueMetrics(registry) });
  q.add('a');
  q.add('b');
  q.add('a'); // a duplicate is not an add
  q.addRateLimited('c');
  const text = await registry.metrics();
  t.match(text, /workqueue_adds_total\{name="replicaset"\} 2/);
  t.match(text, /workqueue_retries_total\{name="replicaset"\} 1/);
  t.match(text, /workqueue_depth\{name="replicaset"\} 2/);
});

t.test('under any interleaving of adds, gets and dones no key is held by two workers and every added key is processed', async (t) => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), key: fc.integer({ min: 0, max: 4 }) }),
    fc.record({ kind: fc.constant('addAfter' as const), key: fc.integer({ min: 0, max: 4 }), ms: fc.integer({ min: 0, max: 50 }) }),
    fc.record({ kind: fc.constant('get' as const) }),
    fc.record({ kind: fc.constant('done' as const), which: fc.nat() }),
    fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }),
  );
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const clock = new FakeClock();
      const q = new RateLimitingQueue<number>({ clock });
      const held = new Set<number>();
      const needed = new Set<number>();
      const take = async (): Promise<void> => {
        if (q.len() === 0) return;
        const k = (await q.get()) as number;
        if (held.has(k)) throw new Error(`key ${k} handed to two workers`);
        held.add(k);
        needed.delete(k);
      };
      for (const o of ops) {
        if (o.kind === 'add') {
          q.add(o.key);
          needed.add(o.key);
        } else if (o.kind === 'addAfter') {
          q.addAfter(o.key, o.ms);
          needed.add(o.key);
        } else if (o.kind === 'get') await take();
        else if (o.kind === 'done') {
          const keys = [...held];
          const k = keys[o.which % Math.max(1, keys.length)];
          if (k !== undefined) {
            held.delete(k);
            q.done(k);
          }
        } else clock.advance(o.ms);
      }
      // Finish: release everything, let every delay pass, and drain.
      clock.advance(1000);
      for (let guard = 0; guard < 100 && (held.size > 0 || q.len() > 0); guard++) {
        for (const k of [...held]) {
          held.delete(k);
          q.done(k);
        }
        while (q.len() > 0) await take();
      }
      if (needed.size > 0) throw new Error(`never processed: ${[...needed].join(',')}`);
    }),
    { numRuns: 200 },
  );
  t.pass('held invariant and liveness checked');
});
