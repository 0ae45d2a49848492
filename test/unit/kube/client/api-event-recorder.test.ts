import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { ApiClient } from '../../../../kube/client/api-client.js';
import { ApiEventRecorder } from '../../../../kube/client/api-event-recorder.js';
import { Resources } from '../../../../kube/client/resource.js';
import { RestClient } from '../../../../kube/client/rest-client.js';
import { FakeClock } from '../../../../kube/clock.js';
import type { KubeObject } from '../../../../kube/object.js';
import { startApiserver } from '../../../helpers/apiserver-harness.js';
import { freePort } from '../../../helpers/store-cluster.js';

async function setup(t: Test): Promise<{ client: RestClient; clock: FakeClock; recorder: ApiEventRecorder; pod: KubeObject }> {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const client = new RestClient({ server: `http://127.0.0.1:${(h.api.app.server.address() as AddressInfo).port}` });
  t.teardown(() => client.close());
  const clock = new FakeClock(Date.UTC(2026, 4, 1, 12, 0, 0));
  const recorder = new ApiEventRecorder({ client, component: 'default-scheduler', host: 'node-1', clock });
  const pod = await client.create(Resources.pods, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  return { client, clock, recorder, pod };
}

async function events(client: ApiClient, namespace = 'default'): Promise<KubeObject[]> {
  return (await client.list(Resources.events, { namespace })).items;
}

t.test('an event becomes a core/v1 Event about the object', async (t) => {
  const { client, clock, recorder, pod } = await setup(t);
  recorder.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web to node-1');
  await recorder.flush();
  const [e, ...rest] = await events(client);
  t.equal(rest.length, 0);
  t.match(e?.metadata.name, /^web\.[0-9a-f]+$/);
  t.match(e, {
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web', uid: pod.metadata.uid, apiVersion: 'v1', resourceVersion: pod.metadata.resourceVersion },
    reason: 'Scheduled',
    message: 'Successfully assigned default/web to node-1',
    type: 'Normal',
    source: { component: 'default-scheduler', host: 'node-1' },
    firstTimestamp: '2026-05-01T12:00:00Z',
    lastTimestamp: '2026-05-01T12:00:00Z',
    count: 1,
    reportingComponent: 'default-scheduler',
    reportingInstance: 'node-1',
  });
  t.equal(clock.pending(), 0);
});

t.test('the same event again within 10 minutes bumps count and lastTimestamp of the same Event', async (t) => {
  const { client, clock, recorder, pod } = await setup(t);
  recorder.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  await recorder.flush();
  clock.advance(30_000);
  recorder.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  await recorder.flush();
  const list = await events(client);
  t.equal(list.length, 1);
  t.match(list[0], { count: 2, firstTimestamp: '2026-05-01T12:00:00Z', lastTimestamp: '2026-05-01T12:00:30Z' });
  clock.advance(11 * 60_000);
  recorder.event(pod, 'Warning', 'FailedScheduling', '0/3 nodes are available');
  await recorder.flush();
  t.equal((await events(client)).length, 2, 'after the window a new Event starts');
});

t.test('a different reason or message is another Event', async (t) => {
  const { client, recorder, pod } = await setup(t);
  recorder.event(pod, 'Normal', 'Pulled', 'image a');
  recorder.event(pod, 'Normal', 'Pulled', 'image b');
  recorder.event(pod, 'Normal', 'Created', 'image a');
  await recorder.flush();
  t.equal((await events(client)).length, 3);
});

t.test('repeats still queued are folded into one write', async (t) => {
  const { client, pod } = await setup(t);
  const creates: string[] = [];
  // The RestClient with its create counted.
  const counting: ApiClient = Object.create(client, {
    create: {
      value: (r: typeof Resources.events, o: KubeObject) => {
        creates.push(o.metadata.name ?? '');
        return client.create(r, o);
      },
    },
  });
  const folded = new ApiEventRecorder({ client: counting, component: 'c', concurrency: 1 });
  folded.event(pod, 'Normal', 'Other', 'first'); // occupies the only writer
  for (let i = 0; i < 5; i++) folded.event(pod, 'Normal', 'BackOff', 'restarting');
  await folded.flush();
  t.equal(creates.length, 2);
  const backoff = (await events(client)).find((e) => e.reason === 'BackOff');
  t.match(backoff, { count: 5 });
});

t.test('an Event deleted meanwhile is created again instead of patched', async (t) => {
  const { client, recorder, pod } = await setup(t);
  recorder.event(pod, 'Normal', 'Killing', 'stopping');
  await recorder.flush();
  const [first] = await events(client);
  await client.delete(Resources.events, first?.metadata.name ?? '', { namespace: 'default' });
  recorder.event(pod, 'Normal', 'Killing', 'stopping');
  await recorder.flush();
  const list = await events(client);
  t.equal(list.length, 1);
  t.match(list[0], { count: 1 });
});

t.test('events about cluster-scoped objects go to the default namespace', async (t) => {
  const { client, recorder } = await setup(t);
  recorder.event({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1', uid: 'u1' } }, 'Normal', 'RegisteredNode', 'Node node-1 registered');
  await recorder.flush();
  const [e] = await events(client, 'default');
  t.match(e, { involvedObject: { kind: 'Node', name: 'node-1' }, reason: 'RegisteredNode' });
  t.notOk((e?.involvedObject as { namespace?: string } | undefined)?.namespace);
});

t.test('an unreachable apiserver never makes event() throw', async (t) => {
  const client = new RestClient({ server: `http://127.0.0.1:${await freePort()}` });
  t.teardown(() => client.close());
  const recorder = new ApiEventRecorder({ client, component: 'x' });
  t.doesNotThrow(() => recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' } }, 'Normal', 'R', 'm'));
  t.doesNotThrow(() => recorder.event(undefined as unknown as KubeObject, 'Normal', 'R', 'garbage in'));
  await recorder.flush();
  t.equal(recorder.backlog(), 0);
});

t.test('beyond 1000 pending events new ones are dropped and counted', async (t) => {
  const hanging: ApiClient = {
    create: () => new Promise(() => {}),
    patch: () => new Promise(() => {}),
  } as unknown as ApiClient;
  const recorder = new ApiEventRecorder({ client: hanging, component: 'x' });
  for (let i = 0; i < 1500; i++) recorder.event({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}`, namespace: 'default' } }, 'Normal', 'R', 'm');
  t.equal(recorder.backlog(), 1000);
  t.equal(recorder.dropped(), 500);
});

t.test('long messages are truncated to 1024 characters', async (t) => {
  const { client, recorder, pod } = await setup(t);
  recorder.event(pod, 'Warning', 'Long', 'x'.repeat(5000));
  await recorder.flush();
  const [e] = await events(client);
  t.equal(String(e?.message).length, 1024);
});
