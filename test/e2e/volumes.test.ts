import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { RestClient } from '../../kube/client/rest-client.js';
import { Resources } from '../../kube/client/resource.js';
import type { KubeObject } from '../../kube/object.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { pollUntil } from '../helpers/store-cluster.js';

/**
 * Persistent volumes on the whole cluster: 3 store replicas, the apiserver, the scheduler, the
 * controller-manager (its PV binder and local-path provisioner putting volumes under the
 * cluster's temp dir) and one simulated node. A claim binds to the smallest volume that fits and
 * releases it on deletion; a StatefulSet's volumeClaimTemplates get provisioned volumes with
 * directories on disk; the provisioner's events show in `kubectl get events` and `describe`.
 */

const DEADLINE_MS = 120_000;
const cluster = await KubeCluster.start();
t.teardown(() => cluster.stop(!t.passing()));
const client = new RestClient({ server: cluster.url });
const volumesDir = join(cluster.dir, 'volumes');

await Promise.all([
  cluster.startComponent('scheduler', ['scheduler']),
  cluster.startComponent('controller-manager', ['controller-manager', '--local-path-dir', volumesDir]),
  cluster.startComponent('node-1', ['node', '--name', 'node-1', '--cpu', '8', '--memory', '16Gi']),
]);

interface Phased extends KubeObject {
  spec: Record<string, unknown> & { volumeName?: string; claimRef?: { name?: string; uid?: string }; hostPath?: { path?: string } };
  status?: { phase?: string; capacity?: { storage?: string } };
}

function volume(name: string, storage: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name },
    spec: {
      capacity: { storage },
      accessModes: ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: 'Retain',
      storageClassName: 'manual',
      hostPath: { path: join(cluster.dir, name) },
    },
  };
}

async function claimPhase(name: string): Promise<Phased | undefined> {
  const c = await client.get<Phased>(Resources.persistentvolumeclaims, name, 'default');
  return c.status?.phase === 'Bound' ? c : undefined;
}

t.test('a claim of 3Gi binds to the 5Gi volume of three, and deleting it leaves the Retain volume Released', async (t) => {
  for (const [name, size] of [
    ['pv-1g', '1Gi'],
    ['pv-5g', '5Gi'],
    ['pv-10g', '10Gi'],
  ] as const)
    await client.create(Resources.persistentvolumes, volume(name, size));
  await client.create(Resources.persistentvolumeclaims, {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { name: 'data', namespace: 'default' },
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '3Gi' } }, storageClassName: 'manual' },
  });
  const claim = await pollUntil('claim data Bound', () => claimPhase('data'), DEADLINE_MS);
  t.equal(claim.spec.volumeName, 'pv-5g');
  t.equal(claim.status?.capacity?.storage, '5Gi');
  const pv = await client.get<Phased>(Resources.persistentvolumes, 'pv-5g');
  t.match(pv, { spec: { claimRef: { name: 'data', uid: claim.metadata.uid } }, status: { phase: 'Bound' } });
  const table = await cluster.kubectl(['get', 'pv', 'pv-5g', '--no-headers']);
  t.match(table.stdout, /pv-5g\s+5Gi\s+RWO\s+Retain\s+Bound\s+default\/data\s+manual/, 'kubectl get pv shows the binding');

  await client.delete(Resources.persistentvolumeclaims, 'data', { namespace: 'default' });
  await pollUntil('pv-5g Released', async () => (await client.get<Phased>(Resources.persistentvolumes, 'pv-5g')).status?.phase === 'Released', DEADLINE_MS);
  const others = await Promise.all(['pv-1g', 'pv-10g'].map((n) => client.get<Phased>(Resources.persistentvolumes, n)));
  t.same(
    others.map((p) => p.status?.phase),
    ['Available', 'Available'],
    'the other volumes stay Available',
  );
});

t.test('a StatefulSet with a volumeClaimTemplate gets a provisioned volume per replica, with its directory on disk', async (t) => {
  await client.create(Resources.statefulsets, {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      serviceName: 'web',
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'main', image: 'nginx', volumeMounts: [{ name: 'www', mountPath: '/usr/share/nginx/html' }] }] },
      },
      // No storageClassName: the default class `standard` is filled in.
      volumeClaimTemplates: [{ metadata: { name: 'www' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  });
  const claims = await pollUntil(
    'www-web-0 and www-web-1 Bound',
    async () => {
      const both = await Promise.all(['www-web-0', 'www-web-1'].map((n) => claimPhase(n).catch(() => undefined)));
      return both.every((c) => c !== undefined) ? (both as Phased[]) : undefined;
    },
    DEADLINE_MS,
  );
  for (const claim of claims) {
    t.equal(claim.spec.storageClassName, 'standard', `${claim.metadata.name} has the default class`);
    const pv = await client.get<Phased>(Resources.persistentvolumes, claim.spec.volumeName ?? '');
    t.equal(pv.metadata.name, `pvc-${claim.metadata.uid}`);
    t.match(pv, {
      metadata: { annotations: { 'pv.kubernetes.io/provisioned-by': 'picokube.io/local-path' } },
      spec: { persistentVolumeReclaimPolicy: 'Delete' },
      status: { phase: 'Bound' },
    });
    const path = pv.spec.hostPath?.path ?? '';
    t.equal(path, join(volumesDir, `pvc-${claim.metadata.uid}`));
    t.ok(existsSync(path), `${path} exists`);
  }
  await pollUntil(
    'web-0 and web-1 Running',
    async () =>
      (await client.list<Phased>(Resources.pods, { namespace: 'default', labelSelector: 'app=web' })).items.filter((p) => p.status?.phase === 'Running')
        .length === 2,
    DEADLINE_MS,
  );

  const events = await cluster.kubectl(['get', 'events', '-n', 'default']);
  t.equal(events.code, 0, events.stderr);
  t.match(
    events.stdout,
    /ProvisioningSucceeded\s+persistentvolumeclaim\/www-web-0\s+Successfully provisioned volume pvc-/,
    "kubectl get events shows the provisioner's event",
  );
  const described = await cluster.kubectl(['describe', 'pvc', 'www-web-0', '-n', 'default']);
  t.match(
    described.stdout,
    /Normal\s+ProvisioningSucceeded\s+.*persistentvolume-controller\s+Successfully provisioned volume/,
    'and kubectl describe lists it under Events',
  );
});
