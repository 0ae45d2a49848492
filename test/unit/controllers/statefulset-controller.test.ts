import t from 'tap';
import { StatefulSetController } from '../../../controllers/statefulset-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { type Bench, newBench, readyStatus } from './fake-context-d2.js';

interface Pod extends KubeObject {
  spec: Record<string, unknown> & {
    hostname?: string;
    subdomain?: string;
    volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
    containers: { image: string }[];
  };
  status?: Record<string, unknown>;
}

function statefulSet(replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: {
      replicas,
      serviceName: 'web',
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'main', image: 'web:v1' }] } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      ...extra,
    },
  };
}

async function setup(set: KubeObject): Promise<{ bench: Bench; ctl: StatefulSetController }> {
  const bench = newBench();
  const ctl = new StatefulSetController(bench.ctx);
  bench.seed(Resources.statefulsets, set);
  return { bench, ctl };
}

async function pods(bench: Bench): Promise<Pod[]> {
  return (await bench.client.list<Pod>(Resources.pods)).items.sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

async function names(bench: Bench): Promise<string[]> {
  return (await pods(bench)).map((p) => p.metadata.name ?? '');
}

async function makeReady(bench: Bench, name: string): Promise<void> {
  await bench.mutate<Pod>(Resources.pods, name, 'default', (p) => {
    p.status = readyStatus('Running', true, bench.clock.now());
  });
}

/** Sync, let the watch deliver what it wrote, make every pod Running and Ready; repeat until nothing changes. */
async function converge(bench: Bench, ctl: StatefulSetController, rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    const before = bench.client.calls.length;
    await ctl.sync('default/web');
    await bench.reflect();
    for (const p of await pods(bench)) if ((p.status as { phase?: string } | undefined)?.phase !== 'Running') await makeReady(bench, p.metadata.name ?? '');
    if (bench.client.calls.length === before) return;
  }
}

t.test('OrderedReady creates web-1 only once web-0 is Running and Ready', async (t) => {
  const { bench, ctl } = await setup(statefulSet(3));
  await ctl.sync('default/web');
  await bench.reflect();
  t.same(await names(bench), ['web-0'], 'the first sync creates only ordinal 0');
  await ctl.sync('default/web');
  await bench.reflect();
  t.same(await names(bench), ['web-0'], 'nothing more while web-0 is Pending');
  await bench.mutate<Pod>(Resources.pods, 'web-0', 'default', (p) => {
    p.status = readyStatus('Running', false, bench.clock.now());
  });
  await ctl.sync('default/web');
  t.same(await names(bench), ['web-0'], 'nor while it runs but is not Ready');
  await makeReady(bench, 'web-0');
  await ctl.sync('default/web');
  t.same(await names(bench), ['web-0', 'web-1'], 'web-1 follows a Ready web-0');
  t.same(
    bench.recorder.events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message),
    [
      'create Claim data-web-0 Pod web-0 in StatefulSet web success',
      'create Pod web-0 in StatefulSet web successful',
      'create Claim data-web-1 Pod web-1 in StatefulSet web success',
      'create Pod web-1 in StatefulSet web successful',
    ],
  );
});

t.test('each pod gets its stable identity and a claim named <template>-<set>-<ordinal>, created before it', async (t) => {
  const { bench, ctl } = await setup(statefulSet(3));
  await converge(bench, ctl);
  t.same(await names(bench), ['web-0', 'web-1', 'web-2']);
  const claims = (await bench.client.list(Resources.persistentvolumeclaims)).items;
  t.same(claims.map((c) => c.metadata.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
  t.same(claims[0]?.metadata.labels, { app: 'web' }, 'the claim carries the selector labels');
  const creates = bench.client.callsOf('create').map((c) => `${c.resource}/${c.name}`);
  t.ok(creates.indexOf('persistentvolumeclaims/data-web-1') < creates.indexOf('pods/web-1'), 'the claim is written before the pod');
  const pod = (await pods(bench))[1];
  t.equal(pod?.spec.hostname, 'web-1');
  t.equal(pod?.spec.subdomain, 'web');
  t.same(pod?.spec.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
  t.equal(pod?.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-1');
  t.equal(pod?.metadata.labels?.['apps.kubernetes.io/pod-index'], '1');
  t.match(pod?.metadata.labels?.['controller-revision-hash'], /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  t.same(pod?.metadata.ownerReferences?.[0], {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    name: 'web',
    uid: pod?.metadata.ownerReferences?.[0]?.uid,
    controller: true,
    blockOwnerDeletion: true,
  });
  const set = await bench.client.get(Resources.statefulsets, 'web', 'default');
  t.match(set.status, {
    replicas: 3,
    readyReplicas: 3,
    availableReplicas: 3,
    currentReplicas: 3,
    updatedReplicas: 3,
    observedGeneration: 1,
    collisionCount: 0,
  });
  const status = set.status as { currentRevision: string; updateRevision: string };
  t.equal(status.currentRevision, status.updateRevision);
  t.equal(status.currentRevision, pod?.metadata.labels?.['controller-revision-hash']);
  const revisions = (await bench.client.list(Resources.controllerrevisions)).items;
  t.equal(revisions.length, 1, 'one ControllerRevision for the template');
  t.equal(revisions[0]?.metadata.name, status.currentRevision);
  t.equal((revisions[0] as { revision?: number }).revision, 1);
});

t.test('scaling down deletes the highest ordinal first, one at a time', async (t) => {
  const { bench, ctl } = await setup(statefulSet(3));
  await converge(bench, ctl);
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    (s.spec as { replicas: number }).replicas = 1;
  });
  await ctl.sync('default/web');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    ['web-2'],
  );
  await bench.reflect();
  await ctl.sync('default/web');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    ['web-2', 'web-1'],
  );
  await bench.reflect();
  t.same(await names(bench), ['web-0']);
  t.same((await bench.client.list(Resources.persistentvolumeclaims)).items.length, 3, 'claims are retained (whenScaled: Retain)');
});

t.test('OrderedReady does not scale down past an unhealthy lower pod', async (t) => {
  const { bench, ctl } = await setup(statefulSet(3));
  await converge(bench, ctl);
  await bench.mutate<Pod>(Resources.pods, 'web-0', 'default', (p) => {
    p.status = readyStatus('Running', false, bench.clock.now());
  });
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    (s.spec as { replicas: number }).replicas = 2;
  });
  await ctl.sync('default/web');
  t.same(bench.client.callsOf('delete', 'pods'), [], 'waits for web-0 to be Ready again');
});

t.test('Parallel creates every pod at once and deletes condemned pods together', async (t) => {
  const { bench, ctl } = await setup(statefulSet(3, { podManagementPolicy: 'Parallel' }));
  await ctl.sync('default/web');
  t.same(await names(bench), ['web-0', 'web-1', 'web-2']);
  await bench.reflect();
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    (s.spec as { replicas: number }).replicas = 0;
  });
  await ctl.sync('default/web');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    ['web-2', 'web-1', 'web-0'],
  );
});

t.test('a rolling update replaces pods from the highest ordinal down to the partition, one Ready pod at a time', async (t) => {
  const { bench, ctl } = await setup(statefulSet(3));
  await converge(bench, ctl);
  const oldRevision = (await pods(bench))[0]?.metadata.labels?.['controller-revision-hash'];
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    const spec = s.spec as { template: { spec: { containers: { image: string }[] } }; updateStrategy: unknown };
    spec.template.spec.containers[0] = { ...spec.template.spec.containers[0], image: 'web:v2' } as { image: string };
    spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
    s.metadata.generation = 2;
  });
  await ctl.sync('default/web');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    ['web-2'],
    'the highest ordinal goes first',
  );
  await bench.reflect();
  await ctl.sync('default/web');
  await bench.reflect();
  const web2 = (await pods(bench)).find((p) => p.metadata.name === 'web-2');
  t.equal(web2?.spec.containers[0]?.image, 'web:v2', 'web-2 is recreated from the new template');
  const newRevision = web2?.metadata.labels?.['controller-revision-hash'];
  t.not(newRevision, oldRevision);
  await ctl.sync('default/web');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    ['web-2'],
    'web-1 waits for web-2 to be Ready',
  );
  await makeReady(bench, 'web-2');
  await converge(bench, ctl);
  const byName = Object.fromEntries((await pods(bench)).map((p) => [p.metadata.name, p.spec.containers[0]?.image]));
  t.same(byName, { 'web-0': 'web:v1', 'web-1': 'web:v2', 'web-2': 'web:v2' }, 'web-0 is below the partition and keeps the old template');
  const set = await bench.client.get(Resources.statefulsets, 'web', 'default');
  t.match(set.status, { updatedReplicas: 2, currentReplicas: 1, currentRevision: oldRevision, updateRevision: newRevision, observedGeneration: 2 });
  t.equal((await bench.client.list(Resources.controllerrevisions)).items.length, 2);

  // Dropping the partition finishes the update, and the update revision becomes current.
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    (s.spec as { updateStrategy: unknown }).updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
  });
  await converge(bench, ctl);
  const done = await bench.client.get(Resources.statefulsets, 'web', 'default');
  t.match(done.status, { updatedReplicas: 3, currentReplicas: 3, currentRevision: newRevision, updateRevision: newRevision });
});

t.test('a pod deleted below the partition comes back from the current revision', async (t) => {
  const { bench, ctl } = await setup(statefulSet(2));
  await converge(bench, ctl);
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    const spec = s.spec as { template: { spec: { containers: { name: string; image: string }[] } }; updateStrategy: unknown };
    spec.template.spec.containers = [{ name: 'main', image: 'web:v2' }];
    spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 2 } };
  });
  await converge(bench, ctl);
  await bench.client.delete(Resources.pods, 'web-0', { namespace: 'default' });
  await bench.reflect();
  await converge(bench, ctl);
  t.same(
    (await pods(bench)).map((p) => p.spec.containers[0]?.image),
    ['web:v1', 'web:v1'],
  );
});

t.test('OnDelete leaves old pods until they are deleted, then recreates them from the new template', async (t) => {
  const { bench, ctl } = await setup(statefulSet(2, { updateStrategy: { type: 'OnDelete' } }));
  await converge(bench, ctl);
  await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
    (s.spec as { template: { spec: unknown } }).template.spec = { containers: [{ name: 'main', image: 'web:v2' }] };
  });
  await converge(bench, ctl);
  t.same(
    (await pods(bench)).map((p) => p.spec.containers[0]?.image),
    ['web:v1', 'web:v1'],
  );
  await bench.client.delete(Resources.pods, 'web-1', { namespace: 'default' });
  await bench.reflect();
  await converge(bench, ctl);
  t.same(
    (await pods(bench)).map((p) => p.spec.containers[0]?.image),
    ['web:v1', 'web:v2'],
  );
});

t.test('a failed pod is deleted and recreated under the same name', async (t) => {
  const { bench, ctl } = await setup(statefulSet(1));
  await converge(bench, ctl);
  await bench.mutate<Pod>(Resources.pods, 'web-0', 'default', (p) => {
    p.status = { phase: 'Failed' };
  });
  await ctl.sync('default/web');
  t.same(
    bench.client.callsOf('delete', 'pods').map((c) => c.name),
    ['web-0'],
  );
  t.ok(bench.recorder.events.some((e) => e.reason === 'RecreatingFailedPod'));
  await bench.reflect();
  await ctl.sync('default/web');
  t.same(await names(bench), ['web-0']);
  t.equal(bench.client.callsOf('create', 'pods').length, 2);
});

t.test('a rollback to the old template renumbers its revision instead of writing a new one', async (t) => {
  const { bench, ctl } = await setup(statefulSet(1));
  await converge(bench, ctl);
  const setTemplateImage = async (image: string): Promise<void> => {
    await bench.mutate(Resources.statefulsets, 'web', 'default', (s) => {
      (s.spec as { template: { spec: unknown } }).template.spec = { containers: [{ name: 'main', image }] };
    });
    await converge(bench, ctl);
  };
  await setTemplateImage('web:v2');
  await setTemplateImage('web:v1');
  const revisions = (await bench.client.list<KubeObject & { revision: number }>(Resources.controllerrevisions)).items;
  t.equal(revisions.length, 2);
  const current = (await pods(bench))[0]?.metadata.labels?.['controller-revision-hash'];
  t.equal(revisions.find((r) => r.metadata.name === current)?.revision, 3, 'the v1 revision is now revision 3');
});

t.test('a StatefulSet being deleted creates nothing more', async (t) => {
  const set = statefulSet(3);
  set.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
  set.metadata.finalizers = ['foregroundDeletion'];
  const { bench, ctl } = await setup(set);
  await ctl.sync('default/web');
  t.same(bench.client.calls, []);
});
