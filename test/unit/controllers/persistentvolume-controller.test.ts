import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { PersistentVolumeController, StorageClasses } from '../../../controllers/persistentvolume-controller.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { type Bench, newBench } from './fake-context-d2.js';

function pv(name: string, storage: string, policy = 'Retain', className = 'manual'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: policy,
      storageClassName: className,
      hostPath: { path: `/tmp/${name}` },
    },
    status: { phase: 'Pending' },
  };
}

function pvc(name: string, storage: string, className: string | undefined = 'manual', spec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name, namespace: 'default' },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage } },
      ...(className === undefined ? {} : { storageClassName: className }),
      ...spec,
    },
    status: { phase: 'Pending' },
  };
}

const standard: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: 'picokube.io/local-path',
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
};

function setup(t: Test): { bench: Bench; ctl: PersistentVolumeController; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-pv-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const bench = newBench();
  const ctl = new PersistentVolumeController(bench.ctx, { localPathDir: dir });
  return { bench, ctl, dir };
}

/** Runs syncs and reflects until the queue is empty (the controller has converged); a failed sync is retried. */
async function settle(bench: Bench, ctl: PersistentVolumeController): Promise<void> {
  for (let round = 0; round < 50; round++) {
    await bench.reflect();
    const keys = bench.queue.take();
    if (keys.length === 0) return;
    for (const key of keys) {
      try {
        await ctl.sync(key);
      } catch {
        bench.queue.addRateLimited(key); // a conflict with a write of the same round: retried, as the manager does
      }
    }
  }
  throw new Error('the controller did not converge in 50 rounds');
}

async function getPv(bench: Bench, name: string): Promise<KubeObject> {
  return bench.client.get(Resources.persistentvolumes, name);
}
async function getPvc(bench: Bench, name: string): Promise<KubeObject> {
  return bench.client.get(Resources.persistentvolumeclaims, name, 'default');
}

t.test('a claim of 3Gi binds to the 5Gi volume of 1Gi/5Gi/10Gi, both marked Bound as kube marks them', async (t) => {
  const { bench, ctl } = setup(t);
  for (const [n, s] of [
    ['pv1', '1Gi'],
    ['pv5', '5Gi'],
    ['pv10', '10Gi'],
  ] as const)
    bench.seed(Resources.persistentvolumes, pv(n, s));
  const claim = bench.seed(Resources.persistentvolumeclaims, pvc('data', '3Gi'));
  await settle(bench, ctl);
  const vol = await getPv(bench, 'pv5');
  t.match(vol, {
    metadata: { annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } },
    spec: { claimRef: { namespace: 'default', name: 'data', uid: claim.metadata.uid } },
    status: { phase: 'Bound' },
  });
  t.match(await getPvc(bench, 'data'), {
    metadata: { annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } },
    spec: { volumeName: 'pv5' },
    status: { phase: 'Bound', capacity: { storage: '5Gi' }, accessModes: ['ReadWriteOnce'] },
  });
  t.match(await getPv(bench, 'pv1'), { status: { phase: 'Available' } }, 'the others are Available');
  t.notOk(((await getPv(bench, 'pv10')).spec as Record<string, unknown>).claimRef, 'the bigger volume stays free');
});

t.test('deleting a claim releases its Retain volume, which stays Released and keeps its claimRef', async (t) => {
  const { bench, ctl } = setup(t);
  bench.seed(Resources.persistentvolumes, pv('keep', '5Gi', 'Retain'));
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi'));
  await settle(bench, ctl);
  await bench.client.delete(Resources.persistentvolumeclaims, 'data', { namespace: 'default' });
  await settle(bench, ctl);
  const vol = await getPv(bench, 'keep');
  t.match(vol, { status: { phase: 'Released' }, spec: { claimRef: { name: 'data' } } });
  // A new claim of the same name does not get the released volume back (kube needs an admin to clear claimRef).
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi'));
  await settle(bench, ctl);
  t.match(await getPvc(bench, 'data'), { status: { phase: 'Pending' } });
  t.match(bench.recorder.events.at(-1), { key: 'default/data', type: 'Warning', reason: 'FailedBinding' }, 'the claim says why it waits');
});

t.test('deleting a claim deletes its volume when the reclaim policy is Delete', async (t) => {
  const { bench, ctl } = setup(t);
  bench.seed(Resources.persistentvolumes, pv('gone', '5Gi', 'Delete'));
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi'));
  await settle(bench, ctl);
  await bench.client.delete(Resources.persistentvolumeclaims, 'data', { namespace: 'default' });
  await settle(bench, ctl);
  await t.rejects(getPv(bench, 'gone'), { code: 404 });
});

t.test('a claim of the standard class gets a provisioned local-path volume, bound to it, whose directory goes with the claim', async (t) => {
  const { bench, ctl, dir } = setup(t);
  bench.seed(StorageClasses, standard);
  const claim = bench.seed(Resources.persistentvolumeclaims, pvc('www-web-0', '1Gi', 'standard'));
  await settle(bench, ctl);
  const name = `pvc-${claim.metadata.uid}`;
  const vol = await getPv(bench, name);
  t.match(vol, {
    metadata: { annotations: { 'pv.kubernetes.io/provisioned-by': 'picokube.io/local-path' } },
    spec: { storageClassName: 'standard', persistentVolumeReclaimPolicy: 'Delete', hostPath: { path: join(dir, name) }, claimRef: { uid: claim.metadata.uid } },
    status: { phase: 'Bound' },
  });
  t.ok(existsSync(join(dir, name)), 'the directory exists');
  t.match(await getPvc(bench, 'www-web-0'), { spec: { volumeName: name }, status: { phase: 'Bound', capacity: { storage: '1Gi' } } });
  t.match(bench.recorder.events, [{ key: 'default/www-web-0', type: 'Normal', reason: 'ProvisioningSucceeded' }]);

  await bench.client.delete(Resources.persistentvolumeclaims, 'www-web-0', { namespace: 'default' });
  await settle(bench, ctl);
  await t.rejects(getPv(bench, name), { code: 404 });
  t.notOk(existsSync(join(dir, name)), 'the directory is removed');
});

t.test('a matching existing volume is preferred to provisioning a new one', async (t) => {
  const { bench, ctl } = setup(t);
  bench.seed(StorageClasses, standard);
  bench.seed(Resources.persistentvolumes, pv('premade', '2Gi', 'Delete', 'standard'));
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi', 'standard'));
  await settle(bench, ctl);
  t.match(await getPvc(bench, 'data'), { spec: { volumeName: 'premade' } });
  t.equal(bench.client.callsOf('create', 'persistentvolumes').length, 0);
});

t.test('a claim that names a volume (pre-bound) binds to that one, not to a smaller fit', async (t) => {
  const { bench, ctl } = setup(t);
  bench.seed(Resources.persistentvolumes, pv('small', '1Gi'));
  bench.seed(Resources.persistentvolumes, pv('big', '10Gi'));
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi', 'manual', { volumeName: 'big' }));
  await settle(bench, ctl);
  t.match(await getPv(bench, 'big'), { spec: { claimRef: { name: 'data' } }, status: { phase: 'Bound' } });
  const claim = await getPvc(bench, 'data');
  t.match(claim, { spec: { volumeName: 'big' }, status: { phase: 'Bound' } });
  t.notOk(claim.metadata.annotations?.['pv.kubernetes.io/bound-by-controller'], 'the user bound it, not the controller');
});

t.test('a volume whose claim is missing only from the cache is not released (a live read decides)', async (t) => {
  const { bench, ctl } = setup(t);
  const claim = bench.client.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi'));
  const vol = pv('fresh', '1Gi', 'Delete');
  (vol.spec as Record<string, unknown>).claimRef = { namespace: 'default', name: 'data', uid: claim.metadata.uid };
  bench.seed(Resources.persistentvolumes, vol);
  await ctl.sync('volume:fresh');
  t.equal(bench.client.callsOf('delete').length, 0);
  t.notMatch(await getPv(bench, 'fresh'), { status: { phase: 'Released' } });
});

t.test('a claim with no class and no volume stays Pending with a FailedBinding event', async (t) => {
  const { bench, ctl } = setup(t);
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi', ''));
  await settle(bench, ctl);
  t.match(await getPvc(bench, 'data'), { status: { phase: 'Pending' } });
  t.match(bench.recorder.events, [{ reason: 'FailedBinding', message: 'no persistent volumes available for this claim and no storage class is set' }]);
});

t.test('a volume added later binds a waiting claim', async (t) => {
  const { bench, ctl } = setup(t);
  bench.seed(Resources.persistentvolumeclaims, pvc('data', '1Gi'));
  await settle(bench, ctl);
  bench.seed(Resources.persistentvolumes, pv('late', '1Gi'));
  await settle(bench, ctl);
  t.match(await getPvc(bench, 'data'), { spec: { volumeName: 'late' }, status: { phase: 'Bound' } });
});
