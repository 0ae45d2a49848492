import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { LOCAL_PATH_PROVISIONER, LocalPathProvisioner } from '../../../controllers/local-path-provisioner.js';
import type { KubeObject } from '../../../kube/object.js';

const claim: KubeObject = {
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name: 'www-web-0', namespace: 'default', uid: 'abc-123', resourceVersion: '7' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard', volumeMode: 'Filesystem' },
};

const standard: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'standard' },
  provisioner: LOCAL_PATH_PROVISIONER,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'Immediate',
};

function tempDir(t: { teardown(f: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-localpath-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('provisioning makes the directory pvc-<uid> and a hostPath volume pre-bound to the claim', async (t) => {
  const dir = tempDir(t);
  const p = new LocalPathProvisioner({ baseDir: join(dir, 'volumes') });
  t.ok(p.handles(standard));
  t.notOk(p.handles({ ...standard, provisioner: 'kubernetes.io/no-provisioner' }));
  const pv = await p.provision(claim, standard);
  const path = join(dir, 'volumes', 'pvc-abc-123');
  t.ok(existsSync(path), 'the directory exists (and its parent was made)');
  t.same(pv, {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name: 'pvc-abc-123', annotations: { 'pv.kubernetes.io/provisioned-by': 'picokube.io/local-path' } },
    spec: {
      capacity: { storage: '1Gi' },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Delete',
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      hostPath: { path, type: 'DirectoryOrCreate' },
      claimRef: { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'www-web-0', uid: 'abc-123', resourceVersion: '7' },
    },
  });
  await p.provision(claim, standard);
  t.pass('provisioning again is fine');
});

t.test('the class reclaim policy carries over to the volume', async (t) => {
  const p = new LocalPathProvisioner({ baseDir: tempDir(t) });
  t.match(p.volumeFor(claim, { ...standard, reclaimPolicy: 'Retain' }), { spec: { persistentVolumeReclaimPolicy: 'Retain' } });
});

t.test('deleting removes the volume directory with its contents', async (t) => {
  const dir = tempDir(t);
  const p = new LocalPathProvisioner({ baseDir: dir });
  const pv = await p.provision(claim, standard);
  writeFileSync(join(dir, 'pvc-abc-123', 'data.txt'), 'hello');
  t.equal(await p.delete(pv), true);
  t.notOk(existsSync(join(dir, 'pvc-abc-123')));
  t.equal(await p.delete(pv), true, 'deleting again is fine');
});

t.test('deleting never touches a directory it did not make or one outside its base directory', async (t) => {
  const dir = tempDir(t);
  const p = new LocalPathProvisioner({ baseDir: join(dir, 'volumes') });
  const outside = join(dir, 'precious');
  mkdirSync(outside);
  const pv = p.volumeFor(claim, standard);
  const escaped = structuredClone(pv);
  (escaped.spec as { hostPath: { path: string } }).hostPath.path = outside;
  t.equal(await p.delete(escaped), false);
  const traversal = structuredClone(pv);
  (traversal.spec as { hostPath: { path: string } }).hostPath.path = join(dir, 'volumes', 'pvc-x', '..', '..', 'precious');
  t.equal(await p.delete(traversal), false);
  const foreign = structuredClone(pv);
  foreign.metadata.annotations = { 'pv.kubernetes.io/provisioned-by': 'someone-else' };
  t.equal(await p.delete(foreign), false);
  t.ok(existsSync(outside), 'still there');
});
