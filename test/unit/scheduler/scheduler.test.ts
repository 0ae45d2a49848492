import t from 'tap';
import { FakeInformer } from '../../../kube/cache/fake-informer.js';
import { RecordingApiClient } from '../../../kube/client/recording-api-client.js';
import { RecordingEventRecorder } from '../../../kube/client/event-recorder.js';
import type { ResourceRef } from '../../../kube/client/resource.js';
import { Resources } from '../../../kube/client/resource.js';
import { FakeClock } from '../../../kube/clock.js';
import type { KubeObject } from '../../../kube/object.js';
import type { Node, Pod } from '../../../scheduler/framework/types.js';
import { Scheduler, type SchedulerOptions, truncateMessage } from '../../../scheduler/scheduler.js';
import { makeNode, makePod, type PodSpecInput } from './fixtures.js';

/** A recording client whose bind calls wait until the test opens the gate. */
class GatedClient extends RecordingApiClient {
  private waiting: (() => void)[] = [];
  gated = false;

  release(): void {
    for (const w of this.waiting.splice(0)) w();
  }

  override async createSubresource<T extends KubeObject = KubeObject>(
    r: ResourceRef,
    name: string,
    sub: string,
    body: KubeObject,
    namespace?: string,
  ): Promise<T> {
    const answer = super.createSubresource<T>(r, name, sub, body, namespace);
    if (this.gated) await new Promise<void>((resolve) => this.waiting.push(resolve));
    return answer;
  }
}

function setup(options: Partial<SchedulerOptions> = {}) {
  const clock = new FakeClock();
  const client = new GatedClient();
  const events = new RecordingEventRecorder();
  const pods = new FakeInformer<Pod>();
  const nodes = new FakeInformer<Node>();
  const scheduler = new Scheduler({ client, pods, nodes, events, clock, ...options });
  const addPod = (name: string, s: PodSpecInput = {}): Pod => {
    const pod = makePod(name, s);
    client.seed(Resources.pods, pod);
    pods.add(pod);
    return pod;
  };
  const bindings = () => client.callsOf('createSubresource').map((c) => `${c.name}->${(c.body as { target: { name: string } }).target.name}`);
  /** What the apiserver and the watch would do after a successful bind. */
  const confirmBinds = () => {
    for (const c of client.callsOf('createSubresource')) {
      const pod = pods.lister.get(`${c.namespace}/${c.name}`);
      const node = (c.body as { target: { name: string } }).target.name;
      if (pod && !pod.spec?.nodeName) pods.update({ ...pod, spec: { ...pod.spec, nodeName: node } });
    }
  };
  t.teardown(() => scheduler.stop());
  return { clock, client, events, pods, nodes, scheduler, addPod, bindings, confirmBinds };
}

t.test('pending pods are bound through pods/binding and a Scheduled event is recorded', async (t) => {
  const s = setup();
  s.nodes.add(makeNode('n1'));
  s.nodes.add(makeNode('n2'));
  s.addPod('a', { cpu: '100m' });
  s.addPod('b', { cpu: '100m' });
  s.scheduler.run();
  await s.scheduler.settle();
  t.same(s.bindings(), ['a->n1', 'b->n2']);
  const [call] = s.client.callsOf('createSubresource');
  t.match(call, {
    resource: 'pods',
    subresource: 'binding',
    namespace: 'default',
    name: 'a',
    body: {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: 'a', namespace: 'default', uid: 'uid-a' },
      target: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
    },
  });
  t.same(
    s.events.events.filter((e) => e.reason === 'Scheduled'),
    [
      { key: 'default/a', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/a to n1' },
      { key: 'default/b', type: 'Normal', reason: 'Scheduled', message: 'Successfully assigned default/b to n2' },
    ],
  );
  s.confirmBinds();
  t.notOk(s.scheduler.cache.isAssumed('default/a'), 'the informer confirms the assumption');
  t.equal(s.scheduler.cache.nodeInfo('n1')?.podCount, 1);
  t.equal(s.scheduler.queue.counts().active, 0);
});

t.test('only pods of our scheduler name and without a node are scheduled; bound pods are counted', async (t) => {
  const s = setup();
  s.nodes.add(makeNode('n1', { cpu: '1' }));
  s.addPod('other', { schedulerName: 'my-scheduler' });
  s.addPod('pinned', { cpu: '800m', nodeName: 'n1' });
  s.addPod('done', { cpu: '800m', nodeName: 'n1', phase: 'Succeeded' });
  s.addPod('mine', { cpu: '500m' });
  s.scheduler.run();
  await s.scheduler.settle();
  t.same(s.bindings(), [], 'the pinned pod takes the room; the finished one does not count');
  t.equal(s.scheduler.cache.nodeInfo('n1')?.requestedMilliCpu, 800);
  t.match(s.events.events, [{ key: 'default/mine', reason: 'FailedScheduling' }]);
});

t.test('an unschedulable pod gets PodScheduled=False and a FailedScheduling event, once per distinct message', async (t) => {
  const s = setup();
  s.nodes.add(makeNode('n1', { cpu: '2' }));
  s.nodes.add(makeNode('n2', { cpu: '2', taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }));
  s.addPod('too-big', { cpu: '64' });
  s.scheduler.run();
  await s.scheduler.settle();
  const message =
    '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: infra}. ' +
    'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.';
  t.same(s.events.events, [{ key: 'default/too-big', type: 'Warning', reason: 'FailedScheduling', message }]);
  const patches = s.client.callsOf('patch', 'pods');
  t.equal(patches.length, 1);
  t.match(patches[0], {
    name: 'too-big',
    namespace: 'default',
    subresource: 'status',
    body: {
      status: {
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message, lastProbeTime: null, lastTransitionTime: '2026-01-01T00:00:00Z' },
        ],
      },
    },
  });
  t.same(s.bindings(), []);
  t.equal(s.scheduler.queue.counts().unschedulable, 1, 'parked until the cluster changes');

  // The patched pod arrives through the watch; a later retry with the same outcome does not patch again.
  const patched = await s.client.get<Pod>(Resources.pods, 'too-big', 'default');
  s.pods.update(patched);
  t.equal(s.scheduler.queue.counts().unschedulable, 1, 'a status-only update does not wake it');
  s.clock.advance(5 * 60_000 + 30_000);
  await s.scheduler.settle();
  t.equal(s.events.events.length, 2, 'the retry after five minutes records another event');
  t.equal(s.client.callsOf('patch', 'pods').length, 1, 'but the condition already says so');
});

t.test('a node added later lets a parked pod be scheduled', async (t) => {
  const s = setup();
  s.nodes.add(makeNode('small', { cpu: '1' }));
  s.addPod('big', { cpu: '4' });
  s.scheduler.run();
  await s.scheduler.settle();
  t.same(s.bindings(), []);
  s.nodes.add(makeNode('large', { cpu: '8' }));
  s.clock.advance(1000);
  await s.scheduler.settle();
  t.same(s.bindings(), ['big->large']);
});

t.test('with one 1-CPU node, of two 600m pods one binds and the other stays unschedulable, even while the bind is in flight', async (t) => {
  const s = setup();
  s.client.gated = true;
  s.nodes.add(makeNode('n', { cpu: '1' }));
  s.addPod('first', { cpu: '600m' });
  s.addPod('second', { cpu: '600m' });
  s.scheduler.run();
  await s.scheduler.settle({ binds: false });
  t.same(s.bindings(), ['first->n'], 'one bind call');
  t.equal(s.scheduler.inFlightBinds(), 1, 'still in flight');
  t.ok(s.scheduler.cache.isAssumed('default/first'));
  t.match(s.events.events, [{ key: 'default/second', reason: 'FailedScheduling', message: /^0\/1 nodes are available: 1 Insufficient cpu\./ }]);
  // Cluster events while the bind is in flight retry the second pod; it still does not fit.
  s.nodes.update({ ...makeNode('n', { cpu: '1' }), metadata: { ...makeNode('n').metadata, labels: { changed: 'yes' } } });
  s.clock.advance(2000);
  await s.scheduler.settle({ binds: false });
  t.same(s.bindings(), ['first->n'], 'never double-booked');
  s.client.release();
  await s.scheduler.settle();
  s.clock.advance(10_000);
  await s.scheduler.settle();
  t.same(s.bindings(), ['first->n'], 'nor after the bind finished, before the watch confirms it');
  s.confirmBinds();
  t.equal(s.scheduler.cache.nodeInfo('n')?.podCount, 1);
});

t.test('a failed bind forgets the assumption and retries the pod after its backoff', async (t) => {
  const s = setup();
  s.nodes.add(makeNode('n', { cpu: '1' }));
  s.client.failNext('createSubresource', 500);
  s.addPod('p', { cpu: '600m' });
  s.scheduler.run();
  await s.scheduler.settle();
  t.equal(s.bindings().length, 1);
  t.notOk(s.scheduler.cache.isAssumed('default/p'), 'forgotten');
  t.equal(s.scheduler.cache.nodeInfo('n')?.requestedMilliCpu, 0, 'its room is free again');
  t.match(s.events.events, [
    { key: 'default/p', type: 'Warning', reason: 'FailedScheduling', message: /^running Bind plugin "DefaultBinder": injected failure/ },
  ]);
  t.match(s.client.callsOf('patch', 'pods')[0]?.body, { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulerError' }] } });
  t.same(s.scheduler.queue.counts(), { active: 0, backoff: 1, unschedulable: 0, gated: 0 });
  s.clock.advance(1000);
  await s.scheduler.settle();
  t.same(s.bindings(), ['p->n', 'p->n'], 'bound on the second attempt');
  t.ok(s.scheduler.cache.isAssumed('default/p'));
});

t.test('a pod deleted while its bind is in flight is forgotten; one deleted while queued is never bound', async (t) => {
  const s = setup();
  s.client.gated = true;
  s.nodes.add(makeNode('n', { cpu: '1' }));
  const inflight = s.addPod('inflight', { cpu: '600m' });
  s.scheduler.run();
  await s.scheduler.settle({ binds: false });
  s.pods.delete(inflight);
  t.notOk(s.scheduler.cache.isAssumed('default/inflight'));
  t.equal(s.scheduler.cache.nodeInfo('n')?.podCount, 0);
  s.client.release();
  await s.scheduler.settle();
  s.client.gated = false;
  await s.scheduler.stop();

  const s2 = setup();
  s2.nodes.add(makeNode('n'));
  const queued = s2.addPod('queued');
  s2.pods.delete(queued);
  s2.scheduler.run();
  await s2.scheduler.settle();
  t.same(s2.bindings(), []);
});

t.test('deleting a bound pod frees room for a parked one', async (t) => {
  const s = setup();
  s.nodes.add(makeNode('n', { cpu: '1' }));
  const old = s.addPod('old', { cpu: '800m', nodeName: 'n' });
  s.addPod('new', { cpu: '800m' });
  s.scheduler.run();
  await s.scheduler.settle();
  t.same(s.bindings(), []);
  s.pods.delete(old);
  s.clock.advance(1000);
  await s.scheduler.settle();
  t.same(s.bindings(), ['new->n']);
});

t.test('binds in flight are bounded; scheduling waits for a slot', async (t) => {
  const s = setup({ maxBindsInFlight: 2 });
  s.client.gated = true;
  s.nodes.add(makeNode('n'));
  for (let i = 0; i < 5; i++) s.addPod(`p${i}`);
  s.scheduler.run();
  await s.scheduler.settle({ binds: false });
  t.equal(s.bindings().length, 2, 'two binds started');
  t.equal(s.scheduler.inFlightBinds(), 2);
  s.client.gated = false;
  s.client.release();
  await s.scheduler.settle();
  t.equal(s.bindings().length, 5, 'the rest follow as slots free up');
});

t.test('malformed objects from the watch never throw out of the handlers', async (t) => {
  const s = setup();
  s.nodes.add({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'weird' }, spec: 'nope', status: { allocatable: 7, conditions: 'x' } } as unknown as Node);
  s.pods.add({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'odd', namespace: 'default' },
    spec: { containers: 'x', tolerations: 5, affinity: { nodeAffinity: 'x' } },
  } as unknown as Pod);
  s.scheduler.run();
  await s.scheduler.settle();
  t.match(s.events.events, [{ key: 'default/odd', reason: 'FailedScheduling' }], 'the odd pod is judged, not crashed on');
});

t.test('long messages are cut to 1024 characters as upstream cuts them', async (t) => {
  t.equal(truncateMessage('short'), 'short');
  const cut = truncateMessage('x'.repeat(2000));
  t.equal(cut.length, 1024);
  t.ok(cut.endsWith(' ...'));
});
