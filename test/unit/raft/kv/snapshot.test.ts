import fc from 'fast-check';
import { Packr } from 'msgpackr';
import t from 'tap';
import { applyCommand } from '../../../../raft/kv/apply.js';
import { outcomeToData } from '../../../../raft/kv/command-results.js';
import type { Command } from '../../../../raft/kv/commands.js';
import { MalformedSnapshotError } from '../../../../raft/kv/errors.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { b, commandArb, summary } from './kv-fixtures.js';

const packr = new Packr({ useRecords: false });

/** Everything observable about a store, for comparing two of them. */
function observe(store: MvccStore): unknown {
  const history: unknown[] = [];
  for (let r = store.compactRevision + 1; r <= store.revision; r++) {
    history.push(store.eventsAt(r).map((e) => [e.type, summary(e.kv), summary(e.prevKv)]));
  }
  return {
    revision: store.revision,
    compactRevision: store.compactRevision,
    hash: store.hash(),
    current: store.range('', { prefix: true }).kvs.map(summary),
    leases: store.leases().map((l) => ({ ...l, keys: store.leaseTimeToLive(l.id).keys })),
    history,
  };
}

const run = (store: MvccStore, commands: readonly Command[]) => commands.map((c) => JSON.stringify(packr.pack(outcomeToData(applyCommand(store, c)))));

function sampleStore(): MvccStore {
  const store = new MvccStore();
  store.leaseGrant(5, 30);
  store.put('/registry/pods/default/a', b('a1'), { lease: 5 });
  store.put('/registry/pods/default/b', b('b1'));
  store.put('/registry/pods/default/a', b('a2'), { lease: 5 });
  store.deleteRange('/registry/pods/default/b');
  store.put('/registry/pods/default/b', b('b2'));
  store.txn({
    compare: [],
    success: [
      { t: 'put', key: 'x', value: b('1') },
      { t: 'put', key: 'y', value: b('1') },
    ],
    failure: [],
  });
  store.compact(4);
  store.put('x', b('2'));
  applyCommand(store, { t: 'put', key: 'z', value: b('z'), requestId: 'req-1' });
  return store;
}

t.test('a snapshot restores to a store with the same hash, history, leases and snapshot bytes', async (t) => {
  const store = sampleStore();
  const bytes = store.snapshot();
  const restored = new MvccStore();
  restored.restore(bytes);
  t.same(observe(restored), observe(store));
  t.same(restored.snapshot(), bytes);
  t.same(
    restored.range('/registry/pods/default/a', { revision: 4 }).kvs.map(summary),
    store.range('/registry/pods/default/a', { revision: 4 }).kvs.map(summary),
  );
});

t.test('a restored store behaves like the original for what follows, dedup table included', async (t) => {
  const store = sampleStore();
  const restored = new MvccStore();
  restored.restore(store.snapshot());
  const next: Command[] = [
    { t: 'put', key: 'z', value: b('again'), requestId: 'req-1' },
    { t: 'leaseRevoke', id: 5 },
    { t: 'leaseGrant', ttlSeconds: 9 },
    { t: 'compact', revision: 8 },
    {
      t: 'txn',
      compare: [{ key: 'x', target: 'version', result: '=', operand: 2 }],
      success: [{ t: 'delete', key: '', prefix: true, prevKv: true }],
      failure: [],
    },
  ];
  t.same(run(restored, next), run(store, next));
  t.same(observe(restored), observe(store));
});

t.test('empty snapshot bytes restore the empty store', async (t) => {
  const store = sampleStore();
  store.restore(new Uint8Array(0));
  t.same(observe(store), observe(new MvccStore()));
});

t.test('malformed snapshot bytes are rejected with a typed error and leave the store as it was', async (t) => {
  const store = sampleStore();
  const before = store.snapshot();
  const good = packr.unpack(before) as unknown[];
  const bad: [string, Uint8Array][] = [
    ['not msgpack', new Uint8Array([0xc1, 0xc1])],
    ['another tag', packr.pack(['picokube-wal', ...good.slice(1)])],
    ['a newer version', packr.pack([good[0], 2, ...good.slice(2)])],
    ['a missing field', packr.pack(good.slice(0, 8))],
    ['keys out of order', packr.pack([...good.slice(0, 4), [...(good[4] as unknown[])].reverse(), ...good.slice(5)])],
    ['a revision behind its keys', packr.pack([good[0], good[1], 3, 0, ...good.slice(4)])],
    ['a key on a missing lease', packr.pack([...good.slice(0, 5), [], ...good.slice(6)])],
  ];
  for (const [what, bytes] of bad) {
    t.throws(() => store.restore(bytes), MalformedSnapshotError, what);
  }
  t.same(store.snapshot(), before);
});

t.test('two stores fed the same random commands have equal hashes and byte-identical snapshots', async (t) => {
  fc.assert(
    fc.property(fc.array(commandArb, { maxLength: 60 }), (commands) => {
      const one = new MvccStore({ dedupRequestsMax: 4 });
      const two = new MvccStore({ dedupRequestsMax: 4 });
      const outcomesOne = run(one, commands);
      const outcomesTwo = run(two, commands);
      return (
        JSON.stringify(outcomesOne) === JSON.stringify(outcomesTwo) &&
        one.hash().hash === two.hash().hash &&
        Buffer.from(one.snapshot()).equals(Buffer.from(two.snapshot()))
      );
    }),
    { seed: 3, numRuns: 300 },
  );
  t.pass();
});

t.test('a replica restored from a snapshot taken at any point ends identical to one that applied every command', async (t) => {
  fc.assert(
    fc.property(fc.array(commandArb, { maxLength: 60 }), fc.nat(60), (commands, cut) => {
      const at = Math.min(cut, commands.length);
      const leader = new MvccStore({ dedupRequestsMax: 4 });
      run(leader, commands.slice(0, at));
      const follower = new MvccStore();
      follower.restore(leader.snapshot());
      const rest = commands.slice(at);
      if (JSON.stringify(run(leader, rest)) !== JSON.stringify(run(follower, rest))) return false;
      return JSON.stringify(observe(leader)) === JSON.stringify(observe(follower)) && Buffer.from(leader.snapshot()).equals(Buffer.from(follower.snapshot()));
    }),
    { seed: 11, numRuns: 300 },
  );
  t.pass();
});
