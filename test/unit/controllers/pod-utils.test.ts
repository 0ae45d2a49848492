import t from 'tap';
import { compareForDeletion, isPodAvailable, isPodActive, podsToDelete } from '../../../controllers/pod-utils.js';
import type { Pod } from '../../../controllers/workload-types.js';
import { pod } from './fixtures.js';

const NOW = Date.UTC(2026, 0, 1, 12);
const L = { app: 'web' };
const iso = (msAgo: number): string => new Date(NOW - msAgo).toISOString().replace(/\.\d{3}Z$/, 'Z');
const before = (a: Pod, b: Pod, rankA = 0, rankB = 0): boolean =>
  compareForDeletion(a, rankA, b, rankB, NOW) < 0 && compareForDeletion(b, rankB, a, rankA, NOW) > 0;

t.test('an unassigned pod is deleted before an assigned one', async (t) => {
  t.ok(before(pod('u', L, { phase: 'Running' }), pod('a', L, { node: 'n', phase: 'Pending' })));
});

t.test('Pending goes before Unknown, which goes before Running', async (t) => {
  const pending = pod('p', L, { node: 'n', phase: 'Pending' });
  const unknown = pod('u', L, { node: 'n', phase: 'Unknown', ready: false });
  const running = pod('r', L, { node: 'n', phase: 'Running', ready: false });
  t.ok(before(pending, unknown));
  t.ok(before(unknown, running));
});

t.test('a not-ready pod goes before a ready one', async (t) => {
  t.ok(before(pod('nr', L, { node: 'n', phase: 'Running', ready: false }), pod('r', L, { node: 'n', phase: 'Running', ready: true })));
});

t.test('a lower pod-deletion-cost goes first', async (t) => {
  const cheap = pod('cheap', L, { node: 'n', phase: 'Running' });
  const dear = pod('dear', L, { node: 'n', phase: 'Running' });
  dear.metadata.annotations = { 'controller.kubernetes.io/pod-deletion-cost': '100' };
  t.ok(before(cheap, dear));
});

t.test('a pod sharing its node with more related pods goes first', async (t) => {
  t.ok(before(pod('crowded', L, { node: 'n1', phase: 'Running' }), pod('alone', L, { node: 'n2', phase: 'Running' }), 3, 1));
});

t.test('among ready pods, the one ready for a shorter time goes first, on a log scale', async (t) => {
  const recent = pod('recent', L, { node: 'n', phase: 'Running', readySince: iso(60_000) });
  const old = pod('old', L, { node: 'n', phase: 'Running', readySince: iso(3_600_000) });
  t.ok(before(recent, old));
});

t.test('more container restarts go first', async (t) => {
  const t0 = iso(3_600_000);
  t.ok(
    before(pod('flaky', L, { node: 'n', phase: 'Running', readySince: t0, restarts: 5 }), pod('steady', L, { node: 'n', phase: 'Running', readySince: t0 })),
  );
});

t.test('a newer pod goes before an older one', async (t) => {
  const t0 = iso(3_600_000);
  const newer = pod('newer', L, { node: 'n', phase: 'Running', readySince: t0, created: iso(120_000) });
  const older = pod('older', L, { node: 'n', phase: 'Running', readySince: t0, created: iso(86_400_000) });
  t.ok(before(newer, older));
});

t.test('podsToDelete picks the least valuable pods and ranks by related pods on the same node', async (t) => {
  const pods = [
    pod('ready-a', L, { node: 'n1', phase: 'Running' }),
    pod('ready-b', L, { node: 'n2', phase: 'Running' }),
    pod('pending', L, { node: 'n2', phase: 'Pending' }),
  ];
  const related = [...pods, pod('sibling', L, { node: 'n1', phase: 'Running' })];
  t.same(
    podsToDelete(pods, related, 2, NOW).map((p) => p.metadata.name),
    ['pending', 'ready-a'],
  );
  t.equal(podsToDelete(pods, [], 5, NOW).length, 3, 'asking for more than there are returns them all');
});

t.test('a pod is available once ready for longer than minReadySeconds', async (t) => {
  const p = pod('p', L, { phase: 'Running', readySince: iso(10_000) });
  t.ok(isPodAvailable(p, 0, NOW));
  t.ok(isPodAvailable(p, 9, NOW));
  t.notOk(isPodAvailable(p, 10, NOW), 'exactly minReadySeconds is not yet available');
  t.notOk(isPodAvailable(pod('q', L, { phase: 'Running', ready: false }), 0, NOW));
});

t.test('finished and terminating pods are not active', async (t) => {
  t.ok(isPodActive(pod('a', L, { phase: 'Running' })));
  t.notOk(isPodActive(pod('b', L, { phase: 'Succeeded' })));
  t.notOk(isPodActive(pod('c', L, { phase: 'Failed' })));
  t.notOk(isPodActive(pod('d', L, { phase: 'Running', deleting: true })));
});
