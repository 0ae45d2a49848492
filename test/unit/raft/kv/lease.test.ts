import t from 'tap';
import { InvalidRequestError, LeaseExistsError, LeaseNotFoundError } from '../../../../raft/kv/errors.js';
import { LeaseClock } from '../../../../raft/kv/lease-clock.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { WatchHub, type WatchResponse } from '../../../../raft/kv/watch-hub.js';
import { b, summary } from './kv-fixtures.js';

t.test('a grant without an id gets the lowest unused one, and granting a taken id is LeaseExists', async (t) => {
  const store = new MvccStore();
  t.same(store.leaseGrant(0, 10), { id: 1, ttlSeconds: 10 });
  t.same(store.leaseGrant(2, 10), { id: 2, ttlSeconds: 10 });
  t.same(store.leaseGrant(0, 10), { id: 3, ttlSeconds: 10 }, 'skips the id granted explicitly');
  t.throws(() => store.leaseGrant(2, 5), LeaseExistsError);
  t.throws(() => store.leaseGrant(0, 0), InvalidRequestError, 'a TTL must be at least a second');
  t.same(store.leases(), [
    { id: 1, ttlSeconds: 10 },
    { id: 2, ttlSeconds: 10 },
    { id: 3, ttlSeconds: 10 },
  ]);
  t.equal(store.revision, 1, 'lease grants do not bump the revision');
});

t.test('a put on a lease attaches the key, and a put without it detaches', async (t) => {
  const store = new MvccStore();
  store.leaseGrant(7, 30);
  store.put('a', b('1'), { lease: 7 });
  store.put('b', b('1'), { lease: 7 });
  t.equal(summary(store.range('a').kvs[0]), 'a=1 c2 m2 l7'.replace('m2', 'm2 v1'));
  t.same(store.leaseTimeToLive(7), { id: 7, ttlSeconds: 30, keys: ['a', 'b'] });
  store.put('b', b('2'));
  t.same(store.leaseTimeToLive(7).keys, ['a']);
  store.deleteRange('a');
  t.same(store.leaseTimeToLive(7).keys, []);
  t.throws(() => store.put('c', b('1'), { lease: 8 }), LeaseNotFoundError, 'a put on a missing lease fails');
  t.equal(store.revision, 5);
});

t.test('revoking a lease deletes its attached keys at one revision and then the lease', async (t) => {
  const store = new MvccStore();
  const hub = new WatchHub(store);
  const seen: WatchResponse[] = [];
  hub.watch(
    '',
    { prefix: true },
    {
      send: (r) => {
        seen.push(r);
        return true;
      },
    },
  );
  store.leaseGrant(1, 10);
  store.put('x', b('1'), { lease: 1 }); // 2
  store.put('y', b('1')); // 3
  store.put('w', b('1'), { lease: 1 }); // 4
  t.same(store.leaseRevoke(1), { revision: 5, deleted: 2 });
  t.same(
    store.range('', { prefix: true }).kvs.map((kv) => kv.key),
    ['y'],
  );
  t.throws(() => store.leaseKeepAlive(1), LeaseNotFoundError);
  t.throws(() => store.leaseRevoke(1), LeaseNotFoundError);
  const last = seen[seen.length - 1];
  t.same(
    last?.kind === 'events' ? [last.revision, last.events.map((e) => `${e.type} ${e.kv.key}`)] : last,
    [5, ['delete w', 'delete x']],
    'watchers see both deletes in one revision, in key order',
  );
});

t.test('revoking a lease with no keys does not bump the revision', async (t) => {
  const store = new MvccStore();
  store.leaseGrant(1, 10);
  t.same(store.leaseRevoke(1), { revision: 1, deleted: 0 });
  t.same(store.leases(), []);
});

t.test('the lease clock reports a lease expired only after its TTL passes without a renewal', async (t) => {
  const clock = new LeaseClock();
  clock.renew(1, 10, 0);
  clock.renew(2, 5, 0);
  t.same(clock.expiredLeases(4_999), []);
  t.same(clock.expiredLeases(5_000), [2]);
  clock.forget(2); // its revoke was applied
  clock.renew(1, 10, 9_000);
  t.same(clock.expiredLeases(18_999), []);
  t.equal(clock.remainingMs(1, 18_999), 1);
  t.same(clock.expiredLeases(19_000), [1]);
});

t.test('the lease clock re-reports an expired lease only after the revoke retry interval, and never after forget', async (t) => {
  const clock = new LeaseClock({ revokeRetryMs: 1_000 });
  clock.renew(1, 1, 0);
  clock.renew(2, 1, 0);
  t.same(clock.expiredLeases(1_000), [1, 2], 'ties by id');
  t.same(clock.expiredLeases(1_500), [], 'revokes are in flight');
  clock.forget(2);
  t.same(clock.expiredLeases(2_000), [1], 'the revoke of 1 was lost: report it again');
  t.equal(clock.remainingMs(2, 2_000), undefined);
});

t.test('a new leader gives every lease a full TTL (plus the extension) from its promotion', async (t) => {
  const clock = new LeaseClock();
  clock.renew(9, 1, 0);
  clock.promote(
    [
      { id: 1, ttlSeconds: 2 },
      { id: 2, ttlSeconds: 4 },
    ],
    100_000,
    500,
  );
  t.equal(clock.size, 2, 'leases not in the store are dropped');
  t.same(clock.expiredLeases(102_499), []);
  t.same(clock.expiredLeases(102_500), [1]);
  t.same(clock.expiredLeases(104_500), [2]);
  clock.demote();
  t.same(clock.expiredLeases(1e9), []);
});

t.test('the lease clock stays small when one lease is renewed many times', async (t) => {
  const clock = new LeaseClock();
  for (let now = 0; now < 100_000; now++) clock.renew(1, 10, now);
  t.same(clock.expiredLeases(100_000 + 9_998), []);
  t.same(clock.expiredLeases(100_000 + 9_999), [1]);
});
