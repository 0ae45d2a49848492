import t from 'tap';
import { ReadBarrier } from '../../../../raft/server/read-barrier.js';

function harness() {
  const requests: Uint8Array[] = [];
  let applied = 0;
  let leaderKnown = true;
  const barrier = new ReadBarrier(
    {
      requestReadIndex: (ctx) => {
        if (!leaderKnown) return false;
        requests.push(ctx);
        return true;
      },
      appliedIndex: () => applied,
    },
    60_000,
    () => new Error('no leader'),
    () => new Error('timeout'),
  );
  return {
    barrier,
    requests,
    setApplied: (n: number) => {
      applied = n;
    },
    setLeaderKnown: (b: boolean) => {
      leaderKnown = b;
    },
  };
}

t.test('reads waiting together share one ReadIndex round and are served once its index is applied', async (t) => {
  const h = harness();
  const done: number[] = [];
  const a = h.barrier.wait().then(() => done.push(1));
  t.equal(h.requests.length, 1, 'the first read starts a round');
  const b = h.barrier.wait().then(() => done.push(2));
  const c = h.barrier.wait().then(() => done.push(3));
  t.equal(h.requests.length, 1, 'reads arriving meanwhile wait for the next round');
  h.barrier.onReadState(h.requests[0] as Uint8Array, 10);
  await Promise.resolve();
  t.same(done, [], 'not before the state machine has applied index 10');
  h.setApplied(10);
  h.barrier.onApplied();
  await a;
  t.same(done, [1]);
  t.equal(h.requests.length, 2, 'the two waiting reads share the second round');
  h.barrier.onReadState(h.requests[1] as Uint8Array, 10);
  await Promise.all([b, c]);
  t.same(done.sort(), [1, 2, 3]);
  h.barrier.close(new Error('closed'));
});

t.test('an answer for another round is ignored, and a lost leader fails the round so clients retry', async (t) => {
  const h = harness();
  const first = h.barrier.wait();
  h.barrier.onReadState(new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]), 1);
  h.barrier.abort(new Error('leader changed'));
  await t.rejects(first, /leader changed/);
  h.setLeaderKnown(false);
  await t.rejects(h.barrier.wait(), /no leader/);
  h.barrier.close(new Error('closed'));
});
