import t from 'tap';
import { equalIgnoreHash, MAX_REVISION_HISTORY_CHARS, replicaSetsToCleanUp, setNewReplicaSetAnnotations } from '../../../controllers/deployment-revision.js';
import { newRSNewReplicas } from '../../../controllers/deployment-rolling.js';
import { planScale } from '../../../controllers/deployment-scale.js';
import { maxSurge, maxUnavailable, resolveFenceposts } from '../../../controllers/deployment-util.js';
import type { ReplicaSet } from '../../../controllers/workload-types.js';
import { deployment, replicaSet } from './fixtures.js';

function rs(name: string, replicas: number, annotations: Record<string, string> = {}, created = '2026-01-01T00:00:00Z'): ReplicaSet {
  const r = replicaSet(name, replicas);
  r.metadata.annotations = annotations;
  r.metadata.creationTimestamp = created;
  r.status = { replicas, availableReplicas: replicas, observedGeneration: 1 };
  return r;
}

t.test('maxSurge rounds up and maxUnavailable rounds down; both zero becomes one unavailable', async (t) => {
  const d = deployment('web', 10);
  t.equal(maxSurge(d), 3);
  t.equal(maxUnavailable(d), 2);
  t.same(resolveFenceposts(deployment('web', 1, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: '25%' } } }), 1), {
    surge: 0,
    unavailable: 1,
  });
  t.equal(maxSurge(deployment('web', 10, { strategy: { type: 'Recreate' } })), 0);
  t.equal(maxUnavailable(deployment('web', 0)), 0);
});

t.test('the new ReplicaSet grows within replicas + maxSurge and never beyond replicas', async (t) => {
  const d = deployment('web', 4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: 0 } } });
  t.equal(newRSNewReplicas(d, [rs('old', 4), rs('new', 0)], rs('new', 0)), 2);
  t.equal(newRSNewReplicas(d, [rs('old', 4), rs('new', 2)], rs('new', 2)), 2, 'at 6 pods: no room');
  t.equal(newRSNewReplicas(d, [rs('old', 0), rs('new', 2)], rs('new', 2)), 4, 'capped at replicas');
  t.equal(newRSNewReplicas(deployment('web', 4, { strategy: { type: 'Recreate' } }), [rs('new', 0)], rs('new', 0)), 4);
});

t.test('templates differing only in pod-template-hash, empty maps or nulls are the same revision', async (t) => {
  const a = { metadata: { labels: { app: 'x', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'i', env: [] }] } };
  const b = { metadata: { labels: { app: 'x' }, annotations: {} }, spec: { containers: [{ image: 'i', name: 'c' }], nodeSelector: null } };
  t.ok(equalIgnoreHash(a, b as never));
  t.notOk(equalIgnoreHash(a, { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'j' }] } }));
});

t.test('rolling back to a ReplicaSet records its old revisions, bounded in length', async (t) => {
  const d = deployment('web', 1);
  d.metadata.annotations = { 'kubernetes.io/change-cause': 'kubectl set image', 'deployment.kubernetes.io/revision': '9' };
  const r = rs('old', 0, { 'deployment.kubernetes.io/revision': '2', 'deployment.kubernetes.io/revision-history': '1' });
  t.ok(setNewReplicaSetAnnotations(d, r, 5, true));
  t.equal(r.metadata.annotations?.['deployment.kubernetes.io/revision'], '5');
  t.equal(r.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1,2');
  t.equal(r.metadata.annotations?.['kubernetes.io/change-cause'], 'kubectl set image', "the Deployment's own annotations are copied");
  t.notOk(setNewReplicaSetAnnotations(d, r, 5, true), 'nothing left to change');
  const long = rs('long', 0, {
    'deployment.kubernetes.io/revision': '1000',
    'deployment.kubernetes.io/revision-history': Array.from({ length: 600 }, (_, i) => String(i)).join(','),
  });
  setNewReplicaSetAnnotations(d, long, 1001, true);
  const history = long.metadata.annotations?.['deployment.kubernetes.io/revision-history'] ?? '';
  t.ok(history.length <= MAX_REVISION_HISTORY_CHARS);
  t.ok(history.endsWith(',1000'), 'the newest old revision is kept, the oldest dropped');
});

t.test('history cleanup deletes the lowest revisions, skipping ReplicaSets that still have pods', async (t) => {
  const old = [
    rs('r3', 0, { 'deployment.kubernetes.io/revision': '3' }),
    rs('r1', 0, { 'deployment.kubernetes.io/revision': '1' }),
    rs('r2', 1, { 'deployment.kubernetes.io/revision': '2' }),
  ];
  t.same(
    replicaSetsToCleanUp(old, 1).map((r) => r.metadata.name),
    ['r1'],
    'r2 would go too but still has a pod',
  );
  t.same(replicaSetsToCleanUp(old, undefined), []);
  t.same(replicaSetsToCleanUp(old, 5), []);
});

t.test('scaling down mid-rollout takes from the larger, older ReplicaSets first', async (t) => {
  const d = deployment('web', 5, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
  const ann = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '11' };
  const oldRS = rs('old', 6, ann, '2026-01-01T00:00:00Z');
  const newRS = rs('new', 5, ann, '2026-01-01T01:00:00Z');
  newRS.status = { replicas: 5, availableReplicas: 0 };
  const steps = planScale(d, newRS, [oldRS]);
  const sizes = Object.fromEntries(steps.map((s) => [s.rs.metadata.name, s.replicas]));
  t.equal((sizes.old ?? 0) + (sizes.new ?? 0), 6, '5 + maxSurge 1');
  t.same(sizes, { old: 3, new: 3 });
  t.ok(steps.every((s) => s.refreshAnnotations));
});

t.test('a single active ReplicaSet simply takes the new size; a saturated new one drains the old', async (t) => {
  const d = deployment('web', 7);
  t.same(
    planScale(d, rs('new', 3), [rs('old', 0)]).map((s) => [s.rs.metadata.name, s.replicas]),
    [['new', 7]],
  );
  const saturated = rs('new', 7, { 'deployment.kubernetes.io/desired-replicas': '7' });
  t.same(
    planScale(d, saturated, [rs('old', 2)]).map((s) => [s.rs.metadata.name, s.replicas]),
    [['old', 0]],
  );
});
