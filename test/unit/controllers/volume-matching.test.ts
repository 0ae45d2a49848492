import fc from 'fast-check';
import t from 'tap';
import { findMatchingVolume, mismatch, storageBytes } from '../../../controllers/volume-matching.js';
import type { KubeObject } from '../../../kube/object.js';

function pv(
  name: string,
  storage: string,
  extra: { class?: string; modes?: string[]; labels?: Record<string, string>; claimRef?: Record<string, string> } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(extra.labels ? { labels: extra.labels } : {}) },
    spec: {
      capacity: { storage },
      accessModes: extra.modes ?? ['ReadWriteOnce'],
      storageClassName: extra.class ?? 'manual',
      hostPath: { path: `/tmp/${name}` },
      ...(extra.claimRef ? { claimRef: extra.claimRef } : {}),
    },
  };
}

function pvc(storage: string, extra: { class?: string; modes?: string[]; selector?: unknown; uid?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default', uid: extra.uid ?? 'claim-uid' },
    spec: {
      accessModes: extra.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage } },
      storageClassName: extra.class ?? 'manual',
      ...(extra.selector ? { selector: extra.selector } : {}),
    },
  };
}

const three = [pv('ten', '10Gi'), pv('one', '1Gi'), pv('five', '5Gi')];

t.test('a claim binds to the smallest volume that is big enough', async (t) => {
  t.equal(findMatchingVolume(pvc('3Gi'), three)?.metadata.name, 'five');
  t.equal(findMatchingVolume(pvc('1Gi'), three)?.metadata.name, 'one', 'an exact fit is big enough');
  t.equal(findMatchingVolume(pvc('6Gi'), three)?.metadata.name, 'ten');
  t.equal(findMatchingVolume(pvc('11Gi'), three), undefined, 'nothing fits');
  t.equal(findMatchingVolume(pvc('1500Mi'), three)?.metadata.name, 'five', 'units are compared, not texts');
});

t.test('volumes of another class, lacking an access mode or not selected are skipped', async (t) => {
  t.equal(findMatchingVolume(pvc('1Gi', { class: 'fast' }), three), undefined);
  t.equal(findMatchingVolume(pvc('1Gi', { class: '' }), [pv('nc', '1Gi', { class: '' }), ...three])?.metadata.name, 'nc', '"" matches only class-less volumes');
  const rwx = pv('shared', '20Gi', { modes: ['ReadWriteOnce', 'ReadWriteMany'] });
  t.equal(findMatchingVolume(pvc('1Gi', { modes: ['ReadWriteMany'] }), [...three, rwx])?.metadata.name, 'shared', 'the volume offers a superset of the modes');
  t.match(mismatch(pvc('1Gi', { modes: ['ReadWriteMany'] }), pv('one', '1Gi')), /access modes/);
  const labelled = pv('fast-disk', '50Gi', { labels: { tier: 'fast' } });
  t.equal(findMatchingVolume(pvc('1Gi', { selector: { matchLabels: { tier: 'fast' } } }), [...three, labelled])?.metadata.name, 'fast-disk');
  t.equal(
    findMatchingVolume(pvc('1Gi', { selector: { matchExpressions: [{ key: 'tier', operator: 'Bogus' }] } }), three),
    undefined,
    'a bad selector matches none',
  );
});

t.test('a volume pre-bound to the claim wins; volumes bound to other claims are never taken', async (t) => {
  const prebound = pv('reserved', '100Gi', { claimRef: { namespace: 'default', name: 'data' } });
  t.equal(findMatchingVolume(pvc('1Gi'), [...three, prebound])?.metadata.name, 'reserved');
  const taken = pv('taken', '2Gi', { claimRef: { namespace: 'default', name: 'other', uid: 'x' } });
  t.equal(findMatchingVolume(pvc('2Gi'), [taken, ...three])?.metadata.name, 'five');
  const staleUid = pv('old', '2Gi', { claimRef: { namespace: 'default', name: 'data', uid: 'an-earlier-claim' } });
  t.equal(findMatchingVolume(pvc('2Gi'), [staleUid, ...three])?.metadata.name, 'five', 'a Released volume of an earlier claim of the same name is not reused');
});

t.test('storage quantities read as bytes, rounded up', async (t) => {
  t.equal(storageBytes('5Gi'), 5n * 2n ** 30n);
  t.equal(storageBytes('1G'), 1_000_000_000n);
  t.equal(storageBytes('1.5Ki'), 1536n);
  t.equal(storageBytes('1e3'), 1000n);
  t.equal(storageBytes('100m'), 1n);
  t.equal(storageBytes('bogus'), undefined);
});

t.test('the chosen volume is the smallest fitting one, as a naive scan finds it', async (t) => {
  t.doesNotThrow(() =>
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 64 }), { maxLength: 12 }), fc.integer({ min: 1, max: 64 }), (sizes, want) => {
        const volumes = sizes.map((s, i) => pv(`v${i}`, `${s}Gi`));
        const got = findMatchingVolume(pvc(`${want}Gi`), volumes);
        const fitting = sizes.filter((s) => s >= want);
        if (fitting.length === 0) return got === undefined;
        return got !== undefined && storageBytes((got.spec as { capacity: { storage: string } }).capacity.storage) === BigInt(Math.min(...fitting)) * 2n ** 30n;
      }),
    ),
  );
});
