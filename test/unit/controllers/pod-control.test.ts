import t from 'tap';
import { isNamespaceTerminating, PodControl, podFromTemplate, slowStartBatch } from '../../../controllers/pod-control.js';
import { ApiStatusError } from '../../../kube/client/api-client.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import { RecordingApiClient } from '../../../kube/client/recording-api-client.js';
import { Resources } from '../../../kube/client/resource.js';
import { ownerRef, replicaSet } from './fixtures.js';

t.test('slowStartBatch runs batches of 1, 2, 4, … each concurrently, and the last one with what remains', async (t) => {
  const batches: number[] = [];
  let inFlight = 0;
  let current = 0;
  const { successes, error } = await slowStartBatch(10, 1, async () => {
    inFlight++;
    current++;
    await new Promise((r) => setImmediate(r));
    if (inFlight === current) batches.push(current);
    inFlight--;
    if (inFlight === 0) current = 0;
  });
  t.same(batches, [1, 2, 4, 3]);
  t.equal(successes, 10);
  t.equal(error, undefined);
});

t.test('slowStartBatch stops after the batch in which a call failed, counting its successes', async (t) => {
  let calls = 0;
  const { successes, error } = await slowStartBatch(100, 1, async () => {
    calls++;
    if (calls === 3) throw new Error('forbidden');
  });
  t.equal(calls, 3, 'batches of 1 and 2 ran; the batch of 4 did not start');
  t.equal(successes, 2);
  t.match(error, /forbidden/);
  t.same(await slowStartBatch(0, 1, async () => {}), { successes: 0 });
});

t.test('a pod from a template carries its labels, annotations and spec, generateName and the owner reference', async (t) => {
  const rs = replicaSet('web', 1);
  const template = { metadata: { labels: { app: 'web' }, annotations: { a: 'b' }, finalizers: ['x/y'] }, spec: { containers: [{ name: 'c', image: 'i' }] } };
  const pod = podFromTemplate(template, rs, ownerRef('ReplicaSet', 'web'));
  t.same(pod.metadata, {
    generateName: 'web-',
    namespace: 'default',
    labels: { app: 'web' },
    annotations: { a: 'b' },
    finalizers: ['x/y'],
    ownerReferences: [ownerRef('ReplicaSet', 'web')],
  });
  t.same(pod.spec, template.spec);
  pod.metadata.labels = {};
  t.same(template.metadata.labels, { app: 'web' }, 'the template is not shared with the pod');
});

t.test('PodControl records events for creates and deletes and refuses a pod without labels', async (t) => {
  const client = new RecordingApiClient();
  const recorder = new RecordingEventRecorder();
  const pc = new PodControl(client, recorder);
  const rs = replicaSet('web', 1);
  const created = await pc.createPod({ metadata: { labels: { app: 'web' } }, spec: {} }, rs, undefined);
  await pc.deletePod('default', created.metadata.name ?? '', rs);
  await t.rejects(pc.createPod({ spec: {} }, rs, undefined), /no labels/);
  client.failNext('delete', 500);
  await t.rejects(pc.deletePod('default', 'x', rs), /unable to delete pods/);
  const gone = await pc.deletePod('default', 'gone', rs).catch((e: unknown) => e);
  t.ok(gone instanceof ApiStatusError && gone.code === 404, 'a pod already gone rethrows the 404');
  t.same(
    recorder.events.map((e) => `${e.type} ${e.reason}`),
    ['Normal SuccessfulCreate', 'Normal SuccessfulDelete', 'Warning FailedDelete'],
  );
  t.equal(client.callsOf('create', Resources.pods.resource).length, 1);
});

t.test('a create refused because the namespace is being deleted is recognised', async (t) => {
  t.ok(
    isNamespaceTerminating(
      new ApiStatusError(403, 'Forbidden', 'pods "x" is forbidden: unable to create new content in namespace a because it is being terminated'),
    ),
  );
  t.ok(
    isNamespaceTerminating(
      new ApiStatusError(403, 'Forbidden', 'forbidden', {
        kind: 'Status',
        apiVersion: 'v1',
        code: 403,
        details: { causes: [{ reason: 'NamespaceTerminating' }] },
      }),
    ),
  );
  t.notOk(isNamespaceTerminating(new ApiStatusError(403, 'Forbidden', 'exceeded quota')));
});
