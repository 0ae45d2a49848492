import t from 'tap';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_MS } from '../../../controllers/expectations.js';
import { FakeClock } from '../../../kube/clock.js';

t.test('a key without expectations is satisfied', async (t) => {
  const e = new ControllerExpectations(new FakeClock());
  t.ok(e.satisfied('ns/a'));
  t.equal(e.pending('ns/a'), undefined);
});

t.test('expected creations hold the key until each one is observed', async (t) => {
  const e = new ControllerExpectations(new FakeClock());
  e.expectCreations('ns/a', 2);
  t.notOk(e.satisfied('ns/a'));
  e.creationObserved('ns/a');
  t.notOk(e.satisfied('ns/a'));
  e.creationObserved('ns/a');
  t.ok(e.satisfied('ns/a'));
  t.ok(e.satisfied('ns/b'), 'other keys are independent');
});

t.test('a deletion counts once, and only for a pod that was expected to go', async (t) => {
  const e = new ControllerExpectations(new FakeClock());
  e.expectDeletions('ns/a', ['ns/p1', 'ns/p2']);
  e.deletionObserved('ns/a', 'ns/other');
  t.same(e.pending('ns/a'), { add: 0, del: 2 });
  e.deletionObserved('ns/a', 'ns/p1');
  e.deletionObserved('ns/a', 'ns/p1');
  t.same(e.pending('ns/a'), { add: 0, del: 1 }, 'seen twice (deletionTimestamp, then delete) counts once');
  t.notOk(e.satisfied('ns/a'));
  e.deletionObserved('ns/a', 'ns/p2');
  t.ok(e.satisfied('ns/a'));
});

t.test('expectations expire five minutes after they were set', async (t) => {
  const clock = new FakeClock();
  const e = new ControllerExpectations(clock);
  e.expectCreations('ns/a', 3);
  clock.advance(EXPECTATIONS_TIMEOUT_MS);
  t.notOk(e.satisfied('ns/a'), 'exactly at the timeout it still holds');
  clock.advance(1);
  t.ok(e.satisfied('ns/a'));
  e.expectCreations('ns/a', 1);
  t.notOk(e.satisfied('ns/a'), 'setting again restarts the timer');
});

t.test('raise adds to what is expected and delete forgets the key', async (t) => {
  const e = new ControllerExpectations(new FakeClock());
  e.raise('ns/a', 1, 0);
  e.raise('ns/a', 1, 1);
  t.same(e.pending('ns/a'), { add: 2, del: 1 });
  e.delete('ns/a');
  t.ok(e.satisfied('ns/a'));
});
