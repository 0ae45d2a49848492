import t from 'tap';
import { Progress } from '../../../../raft/core/progress.js';

t.test('a stale rejection below the match point is ignored while replicating', async (t) => {
  const pr = new Progress(6, false, 8, 0);
  pr.maybeUpdate(5);
  pr.becomeReplicate();
  t.notOk(pr.maybeDecrTo(3, 2), 'an answer to an append sent before index 5 was known matched');
  t.equal(pr.match, 5);
});

t.test('a follower that rejects the entry it acknowledged (its tail was lost) is probed from what it has', async (t) => {
  for (const state of ['replicate', 'probe'] as const) {
    const pr = new Progress(11, false, 8, 0);
    pr.maybeUpdate(10);
    if (state === 'replicate') pr.becomeReplicate();
    else pr.becomeProbe();
    t.ok(pr.maybeDecrTo(10, 9), `${state}: the rejection of index 10 is taken`);
    t.equal(pr.match, 9, `${state}: the match point goes back to the follower's hint`);
    t.equal(pr.next, 10, `${state}: index 10 is sent again`);
  }
});
