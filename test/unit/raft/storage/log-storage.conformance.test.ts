import fc from 'fast-check';
import t from 'tap';
import type { Storage } from '../../../../raft/core/storage.js';
import { MemoryStorage } from '../../../../raft/core/storage.js';
import type { Entry, HardState, Snapshot } from '../../../../raft/core/types.js';
import { DiskStorage } from '../../../../raft/storage/disk-storage.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';

/**
 * DiskStorage checked against the core's MemoryStorage (the naive twin): after the same random
 * writes — appends with overwrites, hard states, snapshots received and taken, compactions —
 * every read of the Storage interface gives the same answer or the same error. Then the disk
 * storage is synced and reopened, and must answer as the memory storage compacted up to its
 * snapshot (compaction is in memory only; a reopened storage starts at the snapshot).
 */

type Op =
  | { readonly kind: 'append'; readonly back: number; readonly count: number; readonly newTerm: boolean }
  | { readonly kind: 'hardState'; readonly vote: number }
  | { readonly kind: 'applySnapshot'; readonly ahead: number }
  | { readonly kind: 'createSnapshot'; readonly pick: number }
  | { readonly kind: 'compact'; readonly pick: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('append' as const), back: fc.nat(4), count: fc.integer({ min: 1, max: 4 }), newTerm: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('hardState' as const), vote: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('applySnapshot' as const), ahead: fc.nat(3) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('createSnapshot' as const), pick: fc.nat(100) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('compact' as const), pick: fc.nat(100) }) },
);

function answer<T>(read: () => T, show: (v: T) => unknown = (v) => v): unknown {
  try {
    return show(read());
  } catch (err) {
    return err instanceof Error ? err.name : 'thrown';
  }
}

const showEntries = (list: Entry[]): string[] => list.map((e) => `${e.index}/${e.term}/${new TextDecoder().decode(e.data)}`);

/** Every answer the Storage interface gives, over the whole interesting range. */
function observe(s: Storage): unknown {
  const first = s.firstIndex();
  const last = s.lastIndex();
  const terms: unknown[] = [];
  for (let i = Math.max(0, first - 3); i <= last + 2; i++) terms.push([i, answer(() => s.term(i))]);
  const ranges: unknown[] = [];
  for (let lo = Math.max(0, first - 2); lo <= last + 1; lo++) {
    for (let hi = lo; hi <= last + 1; hi++) {
      for (const maxBytes of [undefined, 0, 40]) ranges.push([lo, hi, maxBytes, answer(() => s.entries(lo, hi, maxBytes), showEntries)]);
    }
  }
  const snap = s.snapshot();
  return { first, last, initial: s.initialState(), snapshot: [snap.metadata, [...snap.data]], terms, ranges };
}

t.test('disk storage answers every read exactly as memory storage after the same writes, and after reopen', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(arbOp, { maxLength: 30 }), async (ops) => {
      const fs = new MemFs();
      const disk = await DiskStorage.open({ fs, dir: '/data', segmentBytesMax: 300 });
      const mem = new MemoryStorage();
      let term = 1;
      let hs: HardState = { term: 0, vote: 0, commit: 0 };
      let writes = 0;
      for (const op of ops) {
        const last = mem.lastIndex();
        const snapIndex = mem.snapshot().metadata.index;
        switch (op.kind) {
          case 'append': {
            if (op.newTerm) term++;
            // Never at or below the snapshot: Raft does not rewrite committed entries, and the
            // two storages differ there (memory overwrites uncompacted ones; disk skips them).
            const start = Math.max(snapIndex + 1, last + 1 - op.back);
            const batch: Entry[] = Array.from({ length: op.count }, (_, k) => ({
              index: start + k,
              term,
              type: 'normal',
              data: new TextEncoder().encode(`w${writes++}`),
            }));
            mem.append(batch);
            await disk.save(undefined, batch);
            break;
          }
          case 'hardState':
            hs = { term, vote: op.vote, commit: Math.min(last, hs.commit + 2) };
            mem.setHardState(hs);
            await disk.save(hs, []);
            break;
          case 'applySnapshot': {
            const index = Math.max(snapIndex + 1, last - 1 + op.ahead);
            const snap: Snapshot = { metadata: { index, term, confState: { voters: [1, 2, 3], learners: [] } }, data: new TextEncoder().encode(`s${index}`) };
            mem.applySnapshot(snap);
            await disk.save(undefined, [], snap);
            break;
          }
          case 'createSnapshot': {
            if (last <= snapIndex || last < mem.firstIndex()) break;
            const index = snapIndex + 1 + (op.pick % (last - snapIndex));
            const conf = { voters: [1, 2], learners: [3] };
            const data = new TextEncoder().encode(`c${index}`);
            mem.createSnapshot(index, conf, data);
            await disk.createSnapshot(index, conf, data);
            break;
          }
          case 'compact': {
            const lo = mem.firstIndex() - 1;
            if (snapIndex < lo) break;
            const index = lo + (op.pick % (snapIndex - lo + 1));
            mem.compact(index);
            disk.compact(index);
            break;
          }
        }
        await disk.sync();
        const expected = JSON.stringify(observe(mem));
        const got = JSON.stringify(observe(disk));
        if (got !== expected) throw new Error(`after ${JSON.stringify(op)}:\n memory ${expected}\n disk   ${got}`);
      }
      await disk.close();
      const reopened = await DiskStorage.open({ fs, dir: '/data', segmentBytesMax: 300 });
      mem.compact(mem.snapshot().metadata.index);
      const expected = JSON.stringify(observe(mem));
      const got = JSON.stringify(observe(reopened));
      await reopened.close();
      if (got !== expected) throw new Error(`after reopen:\n memory ${expected}\n disk   ${got}`);
    }),
    { seed: 7, numRuns: 150 },
  );
  t.pass();
});
