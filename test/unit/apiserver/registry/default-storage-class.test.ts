import t from 'tap';
import { startApiserver } from '../../../helpers/apiserver-harness.js';

function claim(name: string, spec: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
  };
}

const CLAIMS = '/api/v1/namespaces/default/persistentvolumeclaims';

t.test('a fresh cluster has the default StorageClass standard, served by the local-path provisioner', async (t) => {
  const h = await startApiserver(t);
  const sc = await h.request('GET', '/apis/storage.k8s.io/v1/storageclasses/standard');
  t.equal(sc.status, 200);
  t.match(sc.json, {
    metadata: { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'picokube.io/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'Immediate',
  });
});

t.test('a claim created without a class gets the default class; "" and a named class are kept', async (t) => {
  const h = await startApiserver(t);
  const plain = await h.request('POST', CLAIMS, claim('plain'));
  t.equal(plain.status, 201);
  t.equal(plain.json.spec.storageClassName, 'standard');
  const none = await h.request('POST', CLAIMS, claim('none', { storageClassName: '' }));
  t.equal(none.json.spec.storageClassName, '', 'an explicit "" means no class');
  const manual = await h.request('POST', CLAIMS, claim('manual', { storageClassName: 'manual' }));
  t.equal(manual.json.spec.storageClassName, 'manual');
  const beta = await h.request('POST', CLAIMS, {
    ...claim('beta'),
    metadata: { name: 'beta', annotations: { 'volume.beta.kubernetes.io/storage-class': 'slow' } },
  });
  t.equal(beta.json.spec.storageClassName, undefined, 'the beta annotation names the class already');
  const labelled = { ...none.json, metadata: { ...none.json.metadata, labels: { a: 'b' } } };
  const updated = await h.request('PUT', `${CLAIMS}/none`, labelled);
  t.equal(updated.status, 200, 'an update is not defaulted (the spec is immutable)');
  t.equal(updated.json.spec.storageClassName, '');
});
