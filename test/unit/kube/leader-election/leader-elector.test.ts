import type { AddressInfo } from 'node:net';
import t from 'tap';
import { type ApiClient, ApiStatusError } from '../../../../kube/client/api-client.js';
import { RecordingApiClient } from '../../../../kube/client/recording-api-client.js';
import { Resources } from '../../../../kube/client/resource.js';
import { RestClient } from '../../../../kube/client/rest-client.js';
import { FakeClock } from '../../../../kube/clock.js';
import { LeaderElector, type LeaderElectorOptions } from '../../../../kube/leader-election/leader-elector.js';
import { microTime } from '../../../../kube/leader-election/lease-record.js';
import type { KubeObject } from '../../../../kube/object.js';
import { startApiserver } from '../../../helpers/apiserver-harness.js';
import { pollUntil } from '../../../helpers/store-cluster.js';

/** The apiserver twin, with a switch that makes every call fail as if the network were gone. */
class SwitchableClient implements ApiClient {
  broken = false;
  constructor(private readonly inner: RecordingApiClient) {}
  private gate(): void {
    if (this.broken) throw new ApiStatusError(0, 'ServiceUnavailable', 'network down');
  }
  async get<T extends KubeObject>(...a: Parameters<ApiClient['get']>): Promise<T> {
    this.gate();
    return this.inner.get<T>(...a);
  }
  async list<T extends KubeObject>(...a: Parameters<ApiClient['list']>) {
    this.gate();
    return this.inner.list<T>(...a);
  }
  async create<T extends KubeObject>(r: Parameters<ApiClient['create']>[0], obj: T): Promise<T> {
    this.gate();
    return this.inner.create<T>(r, obj);
  }
  async update<T extends KubeObject>(r: Parameters<ApiClient['update']>[0], obj: T): Promise<T> {
    this.gate();
    return this.inner.update<T>(r, obj);
  }
  updateStatus = this.unsupported;
  patch = this.unsupported;
  delete = this.unsupported;
  createSubresource = this.unsupported;
  watch(): never {
    throw new Error('no watch');
  }
  private unsupported(): Promise<never> {
    return Promise.reject(new Error('unsupported'));
  }
}

interface Candidate {
  readonly elector: LeaderElector;
  readonly log: string[];
  readonly client: SwitchableClient;
  run: Promise<void>;
}

function candidate(api: RecordingApiClient, clock: FakeClock, identity: string, extra: Partial<LeaderElectorOptions> = {}): Candidate {
  const log: string[] = [];
  const client = new SwitchableClient(api);
  const elector = new LeaderElector({
    client,
    clock,
    name: 'kube-scheduler',
    identity,
    rng: () => 0,
    onStartedLeading: () => log.push('started'),
    onStoppedLeading: () => log.push('stopped'),
    onNewLeader: (id) => log.push(`leader ${id}`),
    ...extra,
  });
  return { elector, log, client, run: Promise.resolve() };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Moves the fake clock in small steps, letting the electors' promises run between them. */
async function advance(clock: FakeClock, ms: number, stepMs = 100): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await flush();
  }
}

async function lease(api: RecordingApiClient): Promise<Record<string, unknown>> {
  const l = await api.get(Resources.leases, 'kube-scheduler', 'kube-system');
  return l.spec as Record<string, unknown>;
}

t.test('of two candidates one leads, and the lease says so as client-go writes it', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  const b = candidate(api, clock, 'b');
  a.run = a.elector.run();
  await flush();
  b.run = b.elector.run();
  await flush();
  t.equal(a.elector.isLeader(), true);
  t.equal(b.elector.isLeader(), false);
  t.same(a.log, ['leader a', 'started']);
  t.same(b.log, ['leader a']);
  t.same(await lease(api), {
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTime: microTime(clock.now()),
    renewTime: microTime(clock.now()),
    leaseTransitions: 0,
  });
  t.match(microTime(clock.now()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  await advance(clock, 60_000);
  t.equal(b.elector.isLeader(), false, 'a renewing leader keeps the lease');
  const spec = await lease(api);
  t.equal(spec.acquireTime, microTime(clock.now() - 60_000), 'acquireTime stays');
  t.not(spec.renewTime, spec.acquireTime, 'renewTime moves');
  await a.elector.stop();
  await b.elector.stop();
});

t.test('when the leader dies the standby takes over only after the lease expires, and the transition is counted', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  const b = candidate(api, clock, 'b');
  a.run = a.elector.run();
  await flush();
  b.run = b.elector.run();
  await flush();
  // a's process dies: it neither renews nor releases.
  a.client.broken = true;
  await a.elector.stop();
  await advance(clock, 14_000);
  t.equal(b.elector.isLeader(), false, 'not before the lease duration has passed on b’s clock');
  await advance(clock, 4_000);
  t.equal(b.elector.isLeader(), true, 'after it, at the next retry');
  t.same(b.log, ['leader a', 'leader b', 'started']);
  t.match(await lease(api), { holderIdentity: 'b', leaseTransitions: 1 });
  await b.elector.stop();
});

t.test('a leader that releases the lease on stop is replaced at the standby’s next retry', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  const b = candidate(api, clock, 'b');
  a.run = a.elector.run();
  await flush();
  b.run = b.elector.run();
  await flush();
  await a.elector.stop({ release: true });
  await a.run;
  t.same(a.log, ['leader a', 'started', 'stopped']);
  t.match(await lease(api), { holderIdentity: '', leaseDurationSeconds: 1 });
  await advance(clock, 2_000);
  t.equal(b.elector.isLeader(), true);
  t.match(await lease(api), { holderIdentity: 'b', leaseTransitions: 1 });
  await b.elector.stop({ release: true });
  await b.run;
});

t.test('a leader that cannot renew within the renew deadline stops leading', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  a.run = a.elector.run();
  await flush();
  t.equal(a.elector.isLeader(), true);
  a.client.broken = true;
  await advance(clock, 9_000);
  t.equal(a.elector.isLeader(), true, 'still within the deadline');
  await advance(clock, 2_000);
  t.equal(a.elector.isLeader(), false);
  t.same(a.log, ['leader a', 'started', 'stopped']);
  await a.run;
  t.pass('run resolved after losing the lease');
});

t.test('a renewal that hangs past the deadline also ends leadership', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  a.run = a.elector.run();
  await flush();
  const hang = new Promise<never>(() => {});
  a.client.get = () => hang;
  await advance(clock, 12_500);
  t.equal(a.elector.isLeader(), false);
  t.same(a.log, ['leader a', 'started', 'stopped']);
});

t.test('a leader that finds another holder in the lease stops at once', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const a = candidate(api, clock, 'a');
  a.run = a.elector.run();
  await flush();
  const l = await api.get(Resources.leases, 'kube-scheduler', 'kube-system');
  await api.update(Resources.leases, { ...l, spec: { ...(l.spec as object), holderIdentity: 'intruder' } });
  await advance(clock, 2_000);
  t.equal(a.elector.isLeader(), false);
  t.same(a.log, ['leader a', 'started', 'leader intruder', 'stopped']);
});

t.test('candidates racing for a free lease: a conflict lets exactly one win', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  const seed = candidate(api, clock, 'seed');
  seed.run = seed.elector.run();
  await flush();
  await seed.elector.stop({ release: true });
  const others = ['x', 'y', 'z'].map((id) => candidate(api, clock, id));
  for (const c of others) c.run = c.elector.run();
  await flush();
  t.equal(others.filter((c) => c.elector.isLeader()).length, 1);
  t.ok(api.calls.filter((c) => c.verb === 'update').length >= 3, 'all tried to write');
  await advance(clock, 30_000);
  t.equal(others.filter((c) => c.elector.isLeader()).length, 1, 'and it stays one');
  for (const c of others) await c.elector.stop();
});

t.test('bad timings are refused', async (t) => {
  const api = new RecordingApiClient();
  const clock = new FakeClock();
  t.throws(() => candidate(api, clock, 'a', { leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /greater than renewDeadlineMs/);
  t.throws(() => candidate(api, clock, 'a', { renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /retryPeriodMs/);
  t.throws(() => candidate(api, clock, ''), /identity/);
});

t.test('over a real apiserver a released lease passes to the standby', async (t) => {
  const h = await startApiserver(t);
  await h.api.app.listen({ port: 0, host: '127.0.0.1' });
  const client = new RestClient({ server: `http://127.0.0.1:${(h.api.app.server.address() as AddressInfo).port}` });
  t.teardown(() => client.close());
  const events: string[] = [];
  const make = (identity: string) =>
    new LeaderElector({
      client,
      name: 'kube-controller-manager',
      identity,
      leaseDurationMs: 3_000,
      renewDeadlineMs: 2_000,
      retryPeriodMs: 100,
      onStartedLeading: () => events.push(`${identity} started`),
      onStoppedLeading: () => events.push(`${identity} stopped`),
    });
  const a = make('a');
  const b = make('b');
  const runA = a.run();
  await pollUntil('a to lead', () => a.isLeader(), 10_000);
  const runB = b.run();
  await pollUntil('b to see a', () => b.leader() === 'a', 10_000);
  await a.stop({ release: true });
  await runA;
  await pollUntil('b to lead', () => b.isLeader(), 10_000);
  const l = await client.get(Resources.leases, 'kube-controller-manager', 'kube-system');
  t.match(l.spec, { holderIdentity: 'b', leaseDurationSeconds: 3, leaseTransitions: 1 });
  t.match((l.spec as { renewTime: string }).renewTime, /\.\d{6}Z$/);
  await b.stop({ release: true });
  await runB;
  t.same(events, ['a started', 'a stopped', 'b started', 'b stopped']);
});
