import fc from 'fast-check';
import t from 'tap';
import { applyCommand } from '../../../../raft/kv/apply.js';
import type { Command } from '../../../../raft/kv/commands.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { b, commandArb, summary } from './kv-fixtures.js';

/**
 * The snapshot writer encodes the store a slice at a time while writes, compactions and even a
 * restore go on between slices; what it writes must be exactly the state when it started.
 */

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

type During = { kind: 'command'; command: Command } | { kind: 'step'; items: number } | { kind: 'compact'; back: number };

const duringArb: fc.Arbitrary<During> = fc.oneof(
  { weight: 4, arbitrary: commandArb.map((command) => ({ kind: 'command' as const, command })) },
  { weight: 3, arbitrary: fc.integer({ min: 1, max: 3 }).map((items) => ({ kind: 'step' as const, items })) },
  { weight: 1, arbitrary: fc.nat(4).map((back) => ({ kind: 'compact' as const, back })) },
);

/** Applies one action to a store; returns the command form of a compaction, to replay it. */
function act(store: MvccStore, action: During): Command | undefined {
  if (action.kind === 'command') {
    applyCommand(store, action.command);
    return action.command;
  }
  if (action.kind === 'compact') {
    const revision = store.revision - action.back;
    if (revision <= store.compactRevision) return undefined;
    const command: Command = { t: 'compact', revision };
    applyCommand(store, command);
    return command;
  }
  return undefined;
}

t.test('a snapshot encoded in slices while writes and compactions go on restores to exactly the state it started at', async (t) => {
  fc.assert(
    fc.property(fc.array(commandArb, { maxLength: 40 }), fc.array(duringArb, { maxLength: 60 }), (before, during) => {
      const store = new MvccStore({ dedupRequestsMax: 4 });
      for (const command of before) applyCommand(store, command);
      const atStart = store.snapshot();
      const hashAtStart = store.hash();
      const writer = store.snapshotWriter();
      const replayed: Command[] = [...before];
      for (const action of during) {
        if (action.kind === 'step') writer.step(action.items);
        else {
          const command = act(store, action);
          if (command !== undefined && action.kind === 'compact') replayed.push(command);
          else if (action.kind === 'command') replayed.push(action.command);
        }
      }
      const bytes = writer.finish();
      if (!Buffer.from(bytes).equals(Buffer.from(atStart))) return false;
      const restored = new MvccStore();
      restored.restore(bytes);
      if (JSON.stringify(restored.hash()) !== JSON.stringify(hashAtStart)) return false;
      // The store itself went on as if no snapshot had been taken, history trimmed once released.
      const plain = new MvccStore({ dedupRequestsMax: 4 });
      for (const command of replayed) applyCommand(plain, command);
      return JSON.stringify(observe(store)) === JSON.stringify(observe(plain)) && store.indexedKeyCount === plain.indexedKeyCount;
    }),
    { seed: 17, numRuns: 400 },
  );
  t.pass();
});

t.test('compacted history stays in memory while a writer holds the store, and goes when it is done', async (t) => {
  const store = new MvccStore();
  for (let i = 0; i < 10; i++) store.put(`k${i}`, b('1'));
  for (let i = 0; i < 10; i++) store.deleteRange(`k${i}`);
  const writer = store.snapshotWriter();
  writer.step(3);
  store.compact(store.revision);
  t.equal(store.indexedKeyCount, 10, 'deleted keys are kept for the writer');
  t.same(store.range('', { prefix: true }).kvs, [], 'and invisible to reads');
  writer.finish();
  t.equal(store.indexedKeyCount, 0, 'trimmed once the writer is done');
});

t.test('a writer released early lets the store trim its history', async (t) => {
  const store = new MvccStore();
  store.put('k', b('1'));
  store.deleteRange('k');
  const writer = store.snapshotWriter();
  store.compact(store.revision);
  t.equal(store.indexedKeyCount, 1);
  writer.release();
  t.equal(store.indexedKeyCount, 0);
  t.throws(() => writer.step(), /after release/, 'a released writer cannot go on');
});

t.test('a store restored under a writer in progress does not change what the writer writes', async (t) => {
  const store = new MvccStore();
  for (let i = 0; i < 20; i++) store.put(`k${String(i).padStart(2, '0')}`, b(String(i)));
  const atStart = store.snapshot();
  const writer = store.snapshotWriter();
  writer.step(5);
  const other = new MvccStore();
  other.put('elsewhere', b('x'));
  store.restore(other.snapshot());
  t.same(Buffer.from(writer.finish()), Buffer.from(atStart));
});

t.test('keys added before and after the walk position while encoding are left out, and the walk misses no old key', async (t) => {
  const store = new MvccStore();
  for (const k of ['b', 'd', 'f', 'h']) store.put(k, b(k));
  const atStart = store.snapshot();
  const writer = store.snapshotWriter();
  writer.step(2); // b, d
  for (const k of ['a', 'c', 'e', 'g', 'i']) store.put(k, b(k));
  store.deleteRange('f');
  store.put('h', b('changed'));
  t.same(Buffer.from(writer.finish()), Buffer.from(atStart));
});

t.test('a writer started while another holds the store leaves out the history compacted meanwhile', async (t) => {
  const store = new MvccStore();
  const plain = new MvccStore();
  const both = (f: (s: MvccStore) => void): void => {
    f(store);
    f(plain);
  };
  both((s) => {
    s.put('gone', b('1'));
    s.put('kept', b('1'));
    s.put('kept', b('2'));
    s.deleteRange('gone');
    s.put('kept', b('3'));
  });
  const first = store.snapshotWriter();
  both((s) => s.compact(s.revision - 1));
  t.equal(store.indexedKeyCount, 2, 'the first writer keeps the compacted history in memory');
  const second = store.snapshotWriter();
  t.same(Buffer.from(second.finish()), Buffer.from(plain.snapshot()), 'the second writes what a compacted store holds');
  first.finish();
  t.equal(store.indexedKeyCount, 1, 'trimmed once both are done');
});
