import t from 'tap';
import { persistentVolumeClaims, persistentVolumes, storageClasses } from '../../../../apiserver/registry/kinds/storage.js';
import type { KubeObject } from '../../../../kube/object.js';
import { create, lines, NOW, row, update, valid } from './lifecycle.js';

const pvBody = {
  metadata: { name: 'pv1' },
  spec: { capacity: { storage: '10Gi' }, accessModes: ['ReadWriteOnce', 'ReadOnlyMany'], hostPath: { path: '/data' } },
};

t.test('a persistent volume starts Pending, retained, as a filesystem', async (t) => {
  const pv = valid(persistentVolumes, pvBody);
  t.match(pv.spec, { persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem', hostPath: { path: '/data' } });
  t.same(pv.status, { phase: 'Pending', lastPhaseTransitionTime: NOW });
  t.same(row(persistentVolumes, pv), {
    Name: 'pv1',
    Capacity: '10Gi',
    'Access Modes': 'RWO,ROX',
    'Reclaim Policy': 'Retain',
    Status: 'Pending',
    Claim: '',
    StorageClass: '',
    VolumeAttributesClass: '<unset>',
    Reason: '',
    Age: '0s',
    VolumeMode: 'Filesystem',
  });
  t.match(row(persistentVolumes, { ...pv, spec: { ...(pv.spec as object), claimRef: { namespace: 'default', name: 'data' } } }), { Claim: 'default/data' });
});

t.test('invalid persistent volumes are rejected with upstream messages', async (t) => {
  t.same(lines(create(persistentVolumes, { metadata: { name: 'pv' }, spec: {} }).causes), [
    'spec.accessModes: Required value',
    'spec.capacity: Required value',
    'spec.capacity: Unsupported value: {}: supported values: "storage"',
    'spec: Required value: must specify a volume type',
  ]);
  t.same(
    lines(
      create(persistentVolumes, {
        metadata: { name: 'pv' },
        spec: { ...pvBody.spec, capacity: { storage: '0' }, accessModes: ['ReadWriteSometimes'], nfs: { server: 'x' } },
      }).causes,
    ),
    [
      'spec.accessModes: Unsupported value: "ReadWriteSometimes": supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"',
      'spec.capacity[storage]: Invalid value: "0": must be greater than zero',
      'spec.nfs: Forbidden: may not specify more than 1 volume type',
      'spec.nfs.path: Required value',
    ],
  );
  const pv = valid(persistentVolumes, pvBody);
  t.same(lines(update(persistentVolumes, pv, (o) => Object.assign(o.spec as object, { hostPath: { path: '/other' } }))), [
    'spec.persistentvolumesource: Forbidden: spec.persistentvolumesource is immutable after creation',
  ]);
});

t.test('a claim asks for storage; only a bound claim may grow', async (t) => {
  const body = {
    metadata: { name: 'data' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, storageClassName: 'standard' },
  };
  const pvc = valid(persistentVolumeClaims, body);
  t.same(pvc.status, { phase: 'Pending' });
  t.equal((pvc.spec as { volumeMode: string }).volumeMode, 'Filesystem');
  t.same(row(persistentVolumeClaims, pvc), {
    Name: 'data',
    Status: 'Pending',
    Volume: '',
    Capacity: '',
    'Access Modes': '',
    StorageClass: 'standard',
    VolumeAttributesClass: '<unset>',
    Age: '0s',
    VolumeMode: 'Filesystem',
  });
  t.same(lines(create(persistentVolumeClaims, { metadata: { name: 'd' }, spec: {} }).causes), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  const grow = (o: KubeObject): void => {
    ((o.spec as { resources: { requests: Record<string, string> } }).resources.requests as Record<string, string>).storage = '2Gi';
  };
  t.same(lines(update(persistentVolumeClaims, pvc, grow)), ['spec: Forbidden: spec is immutable after creation except resources.requests for bound claims']);
  t.same(
    update(persistentVolumeClaims, pvc, (o) => Object.assign(o.spec as object, { volumeName: 'pv1' })),
    [],
    'the binder sets the volume once',
  );
  const bound = {
    ...pvc,
    spec: { ...(pvc.spec as object), volumeName: 'pv1' },
    status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] },
  };
  t.same(update(persistentVolumeClaims, bound, grow), []);
  t.match(row(persistentVolumeClaims, bound), { Status: 'Bound', Volume: 'pv1', Capacity: '1Gi', 'Access Modes': 'RWO' });
  const shrink = (o: KubeObject): void => {
    ((o.spec as { resources: { requests: Record<string, string> } }).resources.requests as Record<string, string>).storage = '512Mi';
  };
  t.same(lines(update(persistentVolumeClaims, bound, shrink)), ['spec.resources.requests.storage: Forbidden: field can not be less than previous value']);
});

t.test('a storage class defaults its policies and marks the default class', async (t) => {
  const sc = valid(storageClasses, {
    metadata: { name: 'standard', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'picokube.io/hostpath',
  });
  t.same([sc.reclaimPolicy, sc.volumeBindingMode], ['Delete', 'Immediate']);
  t.same(row(storageClasses, sc), {
    Name: 'standard (default)',
    Provisioner: 'picokube.io/hostpath',
    ReclaimPolicy: 'Delete',
    VolumeBindingMode: 'Immediate',
    AllowVolumeExpansion: false,
    Age: '0s',
  });
  t.same(lines(create(storageClasses, { metadata: { name: 'x' }, reclaimPolicy: 'Recycle' }).causes), [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
  ]);
  t.same(lines(update(storageClasses, sc, (o) => Object.assign(o, { parameters: { type: 'ssd' }, provisioner: 'other.io/x' }))), [
    'parameters: Forbidden: updates to parameters are forbidden.',
    'provisioner: Forbidden: updates to provisioner are forbidden.',
  ]);
});
