import pino from 'pino';
import t from 'tap';
import { ControllerManager } from '../../../controllers/manager.js';
import { controllerRegistry } from '../../../controllers/registry.js';
import type { Deployment, Pod, ReplicaSet } from '../../../controllers/workload-types.js';
import { InformerFactory } from '../../../kube/cache/informer-factory.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { RestClient } from '../../../kube/client/rest-client.js';
import { Resources } from '../../../kube/client/resource.js';
import { startApiserver } from '../../helpers/apiserver-harness.js';
import { pollUntil } from '../../helpers/store-cluster.js';

/**
 * The ReplicaSet and Deployment controllers over HTTP, on a real apiserver (in-memory store):
 * informers list and watch, writes go through the REST client, and a tiny "kubelet" in the test
 * marks pods Running and Ready. A Deployment rolls out, then rolls to a new image.
 */

const DEADLINE_MS = 60_000;

t.test('a Deployment rolls out and rolls over to a new image through the real apiserver', async (t) => {
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
    controllers: ['replicaset', 'deployment'],
    registry: controllerRegistry,
    recorderFor: () => new RecordingEventRecorder(),
  });
  t.teardown(() => mgr.stop());
  await mgr.start();

  const labels = { app: 'web' };
  await client.create<Deployment>(Resources.deployments, {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas: 3,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'nginx:1' }] } },
    },
  });

  /** The test's kubelet: every pod not yet Running becomes Running and Ready. */
  const runPods = async (): Promise<Pod[]> => {
    const pods = (await client.list<Pod>(Resources.pods, { namespace: 'default' })).items;
    for (const p of pods) {
      if (p.status?.phase === 'Running' || p.metadata.deletionTimestamp) continue;
      const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      await client
        .updateStatus<Pod>(Resources.pods, { ...p, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } })
        .catch(() => {});
    }
    return pods;
  };

  const rolledOut = async (image: string): Promise<Deployment | undefined> => {
    const pods = await runPods();
    const d = await client.get<Deployment>(Resources.deployments, 'web', 'default');
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    const images = live.map((p) => (p.spec?.containers as { image: string }[] | undefined)?.[0]?.image);
    const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
    const done =
      d.status?.updatedReplicas === 3 &&
      d.status.availableReplicas === 3 &&
      d.status.replicas === 3 &&
      d.status.observedGeneration === d.metadata.generation &&
      progressing?.reason === 'NewReplicaSetAvailable' &&
      live.length === 3 &&
      images.every((i) => i === image);
    return done ? d : undefined;
  };

  const first = await pollUntil('the first rollout to finish', () => rolledOut('nginx:1'), DEADLINE_MS);
  t.equal(first.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');

  await client.patch(
    Resources.deployments,
    'web',
    { spec: { template: { spec: { containers: [{ name: 'main', image: 'nginx:2' }] } } } },
    { namespace: 'default', type: 'strategic' },
  );
  const second = await pollUntil('the rollout to nginx:2 to finish', () => rolledOut('nginx:2'), DEADLINE_MS);
  t.equal(second.metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
  const rss = (await client.list<ReplicaSet>(Resources.replicasets, { namespace: 'default' })).items;
  t.equal(rss.length, 2);
  t.same(rss.map((rs) => `${rs.metadata.annotations?.['deployment.kubernetes.io/revision']}:${rs.spec?.replicas}`).sort(), ['1:0', '2:3']);
  for (const rs of rss) t.equal(rs.metadata.ownerReferences?.[0]?.uid, second.metadata.uid, 'the Deployment owns its ReplicaSets');
});
