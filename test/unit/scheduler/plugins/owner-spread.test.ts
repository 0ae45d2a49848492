import t from 'tap';
import { CycleState } from '../../../../scheduler/framework/interfaces.js';
import { OwnerSpread } from '../../../../scheduler/plugins/owner-spread.js';
import { makePod, nodeInfo, podInfo } from '../fixtures.js';

function scoresFor(pod: ReturnType<typeof podInfo>, nodes: ReturnType<typeof nodeInfo>[]): number[] | 'skip' {
  const pl = new OwnerSpread();
  const state = new CycleState();
  if (pl.preScore(state, pod, nodes, nodes).code === 'Skip') return 'skip';
  const scores = nodes.map((n) => pl.score(state, pod, n));
  pl.normalizeScore(state, pod, nodes, scores);
  return scores;
}

t.test('nodes with fewer pods of the same owner score higher', async (t) => {
  const nodes = [
    nodeInfo('a', {}, [makePod('r1', { owner: 'rs-1' }), makePod('r2', { owner: 'rs-1' })]),
    nodeInfo('b', {}, [makePod('r3', { owner: 'rs-1' }), makePod('x', { owner: 'rs-other' })]),
    nodeInfo('c', {}, [makePod('y', { owner: 'rs-other' }), makePod('z', { owner: 'rs-other' })]),
  ];
  const scores = scoresFor(podInfo('new', { owner: 'rs-1' }), nodes);
  t.not(scores, 'skip');
  if (scores === 'skip') return;
  t.equal(scores[2], 100, 'the node without a pod of the owner is best');
  t.ok((scores[0] ?? 0) < (scores[1] ?? 0), `two pods rank below one: ${scores}`);
  // raw: count × ln(5) + 2 → a: 5.2→5, b: 3.6→4, c: 2; normalised 100 × (5 + 2 − s) / 5.
  t.same(scores, [40, 60, 100]);
});

t.test('bare pods spread by their labels, within their namespace', async (t) => {
  const nodes = [
    nodeInfo('a', {}, [makePod('w1', { labels: { app: 'web' } })]),
    nodeInfo('b', {}, [makePod('w2', { labels: { app: 'web' }, namespace: 'other' })]),
  ];
  const scores = scoresFor(podInfo('w3', { labels: { app: 'web' } }), nodes);
  t.same(scores, [66, 100], 'the same labels in another namespace do not count');
  t.equal(scoresFor(podInfo('bare'), nodes), 'skip', 'a bare pod without labels has nothing to spread against');
});

t.test('zones count when nodes carry the zone label', async (t) => {
  const zone = (z: string) => ({ labels: { 'topology.kubernetes.io/zone': z } });
  const nodes = [nodeInfo('a1', zone('a'), [makePod('p1', { owner: 'o' })]), nodeInfo('a2', zone('a'), []), nodeInfo('b1', zone('b'), [])];
  const scores = scoresFor(podInfo('p', { owner: 'o' }), nodes);
  if (scores === 'skip') return t.fail('skipped');
  t.equal(scores[2], 100, 'the empty zone is best');
  t.ok((scores[1] ?? 0) > (scores[0] ?? 0), 'an empty node in a used zone beats the used node');
  t.ok((scores[1] ?? 0) < 100, 'but not the empty zone');
});

t.test('all equal nodes score the same', async (t) => {
  t.same(scoresFor(podInfo('p', { owner: 'o' }), [nodeInfo('a'), nodeInfo('b'), nodeInfo('c')]), [100, 100, 100]);
});
