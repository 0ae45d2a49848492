import pino from 'pino';
import t, { type Test } from 'tap';
import { buildApiserver } from '../../../../apiserver/server.js';
import { parseTtlSeconds } from '../../../../apiserver/storage/object-leases.js';
import { MemoryStoreClient } from '../../../../raft/client/memory-store-client.js';
import { pollUntil } from '../../../helpers/store-cluster.js';

/**
 * Events expire through store leases (kube-apiserver's --event-ttl). The store's lease deadlines
 * run on a hand-driven clock here, and leases are revoked only when the test calls
 * expireLeases(), so "after the TTL" is exact, not a race.
 */

interface Bench {
  now: number;
  readonly store: MemoryStoreClient;
  request(method: string, url: string, body?: unknown, contentType?: string): Promise<{ status: number; json: Record<string, unknown> }>;
  /** Moves the clock and lets the store revoke what expired. */
  advance(ms: number): number;
}

async function start(t: Test, eventTtlSeconds: number): Promise<Bench> {
  const bench = { now: Date.UTC(2026, 10, 27) } as Bench;
  const nowMs = (): number => bench.now;
  const store = new MemoryStoreClient({ nowMs, leaseCheckIntervalMs: 0 });
  const api = buildApiserver({ store, logger: pino({ level: 'silent' }), nowMs, eventTtlSeconds, compactionIntervalMs: 0 });
  t.teardown(async () => {
    await api.close();
    await store.close();
  });
  await api.startCaches();
  Object.assign(bench, {
    store,
    async request(method: string, url: string, body?: unknown, contentType = 'application/json') {
      const res = await api.app.inject({
        method: method as 'GET',
        url,
        ...(body === undefined ? {} : { payload: JSON.stringify(body), headers: { 'content-type': contentType } }),
      });
      return { status: res.statusCode, json: JSON.parse(res.body) as Record<string, unknown> };
    },
    advance(ms: number) {
      bench.now += ms;
      return store.server.expireLeases();
    },
  });
  return bench;
}

function event(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-0' },
    reason: 'Scheduled',
    message: 'Successfully assigned default/web-0 to node-1',
    type: 'Normal',
    source: { component: 'default-scheduler' },
    count: 1,
  };
}

const EVENTS = '/api/v1/namespaces/default/events';

t.test('an Event disappears once --event-ttl has passed since it was written; other kinds stay', async (t) => {
  const bench = await start(t, 5);
  const watch = bench.store.watch('/registry/events/', { prefix: true });
  t.teardown(() => watch.cancel());
  t.equal((await bench.request('POST', EVENTS, event('e1'))).status, 201);
  t.equal((await bench.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' }, data: { a: 'b' } })).status, 201);
  bench.advance(4_000);
  t.equal((await bench.request('GET', `${EVENTS}/e1`)).status, 200, 'alive before its TTL');
  t.equal(bench.advance(1_001), 1, 'one lease revoked at the TTL');
  t.equal((await bench.request('GET', `${EVENTS}/e1`)).status, 404, 'gone from the store');
  // The watch cache hears of it through its store watch, as every API watcher does.
  await pollUntil('the event gone from the watch cache', async () => ((await bench.request('GET', EVENTS)).json.items as unknown[]).length === 0, 10_000);
  t.equal((await bench.request('GET', '/api/v1/namespaces/default/configmaps/cm')).status, 200, 'a ConfigMap does not expire');
  const types: string[] = [];
  for await (const batch of watch) {
    types.push(...batch.events.map((e) => e.type));
    if (types.includes('delete')) break;
  }
  t.same(types, ['put', 'delete'], 'store watchers see the put, then the delete of the expiry');
});

t.test('a later write of an Event (its count bumped) restarts its TTL', async (t) => {
  const bench = await start(t, 5);
  await bench.request('POST', EVENTS, event('e1'));
  bench.advance(3_000);
  const patched = await bench.request('PATCH', `${EVENTS}/e1`, { count: 2 }, 'application/merge-patch+json');
  t.equal(patched.status, 200);
  bench.advance(3_000);
  t.equal((await bench.request('GET', `${EVENTS}/e1`)).json.count, 2, 'alive 6 s after creation: the patch re-leased it');
  bench.advance(2_001);
  t.equal((await bench.request('GET', `${EVENTS}/e1`)).status, 404, 'gone 5 s after the patch');
});

t.test('writes within the reuse window share one lease; later ones get a new one', async (t) => {
  const bench = await start(t, 3600);
  await bench.request('POST', EVENTS, event('a'));
  bench.advance(30_000);
  await bench.request('POST', EVENTS, event('b'));
  bench.advance(31_000);
  await bench.request('POST', EVENTS, event('c'));
  const { kvs } = await bench.store.range('/registry/events/', { prefix: true });
  const leaseOf = (name: string): number => kvs.find((kv) => kv.key.endsWith(`/${name}`))?.lease ?? 0;
  t.ok(leaseOf('a') > 0, 'attached to a lease');
  t.equal(leaseOf('b'), leaseOf('a'), "b, 30 s later, reuses a's lease (reuse window 60 s for 1 h)");
  t.not(leaseOf('c'), leaseOf('a'), 'c, 61 s later, gets a new one');
  const ttl = await bench.store.leaseTimeToLive(leaseOf('a'));
  t.equal(ttl.ttlSeconds, 3660, 'the TTL plus the reuse window, so no event lives less than the TTL');
  t.same(
    ttl.keys.map((k) => k.split('/').pop()),
    ['a', 'b'],
  );
  const cm = await bench.request('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'cm' } });
  t.equal(cm.status, 201);
  const cmKv = (await bench.store.range('/registry/configmaps/default/cm')).kvs[0];
  t.equal(cmKv?.lease, 0, 'other kinds are not leased');
});

t.test('--event-ttl reads Go durations as whole seconds', async (t) => {
  t.equal(parseTtlSeconds('1h0m0s'), 3600);
  t.equal(parseTtlSeconds('90s'), 90);
  t.equal(parseTtlSeconds('2m30s'), 150);
  t.equal(parseTtlSeconds('1500ms'), 2, 'rounded up');
  t.equal(parseTtlSeconds('45'), 45, 'a bare number is seconds');
  t.throws(() => parseTtlSeconds('0s'));
  t.throws(() => parseTtlSeconds('1 hour'));
  t.throws(() => parseTtlSeconds('1h junk'));
});
