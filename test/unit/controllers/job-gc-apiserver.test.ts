import pino from 'pino';
import t, { type Test } from 'tap';
import type { ControllerFactory } from '../../../controllers/controller.js';
import { garbageCollectorFactory } from '../../../controllers/garbage-collector.js';
import { jobControllerFactory } from '../../../controllers/job-controller.js';
import { ControllerManager } from '../../../controllers/manager.js';
import { ttlAfterFinishedControllerFactory } from '../../../controllers/ttl-after-finished-controller.js';
import { InformerFactory } from '../../../kube/cache/informer-factory.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { type ResourceRef, Resources } from '../../../kube/client/resource.js';
import { RestClient } from '../../../kube/client/rest-client.js';
import type { KubeObject } from '../../../kube/object.js';
import { startApiserver } from '../../helpers/apiserver-harness.js';
import { pollUntil } from '../../helpers/store-cluster.js';

/**
 * The Job, TTL-after-finished and garbage-collector controllers over HTTP on a real apiserver
 * (in-memory store): the apiserver's own defaulting, status subresource, finalizer and deletion
 * rules, which the recording client only imitates. A tiny "kubelet" in the test finishes pods.
 */

const DEADLINE_MS = 60_000;

interface Pod extends KubeObject {
  status?: { phase?: string };
}

interface Job extends KubeObject {
  status?: { succeeded?: number; failed?: number; conditions?: { type: string; status: string; reason?: string }[]; uncountedTerminatedPods?: unknown };
}

const registry: Readonly<Record<string, ControllerFactory>> = {
  job: jobControllerFactory,
  'ttl-after-finished': ttlAfterFinishedControllerFactory,
  garbagecollector: garbageCollectorFactory,
};

async function cluster(t: Test): Promise<RestClient> {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.api.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const client = new RestClient({ server: `http://127.0.0.1:${port}` });
  t.teardown(() => client.close());
  const logger = pino({ level: 'silent' });
  const informers = new InformerFactory({ client, logger });
  const mgr = new ControllerManager({
    client,
    informers,
    logger,
    controllers: Object.keys(registry),
    registry,
    recorderFor: () => new RecordingEventRecorder(),
  });
  t.teardown(() => mgr.stop());
  await mgr.start();
  return client;
}

async function names(client: RestClient, r: ResourceRef): Promise<string[]> {
  return (await client.list(r, { namespace: 'default' })).items.map((o) => o.metadata.name ?? '').sort();
}

t.test('a Job completes through the real apiserver and its pods lose the tracking finalizer', async (t) => {
  const client = await cluster(t);
  await client.create(Resources.jobs, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'count', namespace: 'default' },
    spec: {
      completions: 3,
      parallelism: 2,
      ttlSecondsAfterFinished: 0,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } },
    },
  });
  // The TTL of 0 deletes the Job as soon as it finishes: a watch sees its final state before it goes.
  let completed: Job | undefined;
  const watch = client.watch<Job>(Resources.jobs, { namespace: 'default', resourceVersion: '0' }, (e) => {
    if (e.object.status?.conditions?.some((c) => c.type === 'Complete' && c.status === 'True')) completed ??= e.object;
  });
  t.teardown(() => watch.stop());
  let mostActive = 0;
  const job = await pollUntil(
    'the Job is Complete',
    async () => {
      const pods = (await client.list<Pod>(Resources.pods, { namespace: 'default' })).items;
      mostActive = Math.max(mostActive, pods.filter((p) => p.status?.phase !== 'Succeeded').length);
      // The test's kubelet: every pod succeeds at once.
      for (const p of pods)
        if (p.status?.phase !== 'Succeeded') await client.updateStatus(Resources.pods, { ...p, status: { phase: 'Succeeded' } }).catch(() => {});
      return completed;
    },
    DEADLINE_MS,
  );
  t.equal(job.status?.succeeded, 3);
  t.same(job.status?.uncountedTerminatedPods, {});
  t.ok(mostActive <= 2, `at most parallelism pods ran at once (saw ${mostActive})`);
  await pollUntil(
    'the TTL controller deleted the Job and the collector its pods',
    async () => (await names(client, Resources.jobs)).length === 0 && (await names(client, Resources.pods)).length === 0,
    DEADLINE_MS,
  );
  t.pass('Job and pods are gone');
});

t.test('the collector honours Foreground and Orphan deletes through the real apiserver', async (t) => {
  const client = await cluster(t);
  const rs = await client.create(Resources.replicasets, {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'm', image: 'nginx' }] } },
    },
  });
  const owned = (name: string, owner: KubeObject): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      labels: { app: 'web' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: owner.metadata.name ?? '',
          uid: owner.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { containers: [{ name: 'm', image: 'nginx' }] },
  });
  await client.create(Resources.pods, owned('a', rs));
  await client.create(Resources.pods, owned('b', rs));
  await client.delete(Resources.replicasets, 'web', { namespace: 'default', propagationPolicy: 'Foreground' });
  await pollUntil(
    'the ReplicaSet and its pods are gone',
    async () => (await names(client, Resources.replicasets)).length === 0 && (await names(client, Resources.pods)).length === 0,
    DEADLINE_MS,
  );
  t.pass('foreground deletion finished');

  const rs2 = await client.create(Resources.replicasets, { ...rs, metadata: { name: 'web2', namespace: 'default' } });
  await client.create(Resources.pods, owned('c', rs2));
  await client.delete(Resources.replicasets, 'web2', { namespace: 'default', propagationPolicy: 'Orphan' });
  await pollUntil('the ReplicaSet is gone', async () => (await names(client, Resources.replicasets)).length === 0, DEADLINE_MS);
  const c = await client.get(Resources.pods, 'c', 'default');
  t.same(c.metadata.ownerReferences ?? [], [], 'the orphaned pod stays, without its owner reference');
});
