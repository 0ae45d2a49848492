import fc from 'fast-check';
import t from 'tap';
import type { Message } from '../../../../raft/core/types.js';
import { Backoff } from '../../../../raft/transport/backoff.js';
import { PeerQueue } from '../../../../raft/transport/peer-queue.js';
import { numbered, snapshot } from './transport-fixtures.js';

const snap = (seq: number): Message => ({ type: 'snap', from: 1, to: 2, term: seq, snapshot: snapshot(seq, 1) });
const seqs = (msgs: readonly Message[]): number[] => msgs.map((m) => m.term);

t.test('a queue within its bounds keeps every message in order', async (t) => {
  const q = new PeerQueue(10, 1000);
  for (let i = 1; i <= 10; i++) t.same(q.push(numbered(1, 2, i), 10), []);
  t.equal(q.length, 10);
  t.equal(q.bytes, 100);
  t.same(seqs(q.take(Number.POSITIVE_INFINITY)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  t.equal(q.bytes, 0);
});

t.test('a full queue drops its oldest messages, by count and by bytes', async (t) => {
  const byCount = new PeerQueue(3, 1000);
  for (let i = 1; i <= 3; i++) byCount.push(numbered(1, 2, i), 1);
  t.same(seqs(byCount.push(numbered(1, 2, 4), 1)), [1]);
  t.same(seqs(byCount.clear()), [2, 3, 4]);

  const byBytes = new PeerQueue(100, 100);
  for (let i = 1; i <= 4; i++) byBytes.push(numbered(1, 2, i), 25);
  t.same(seqs(byBytes.push(numbered(1, 2, 5), 60)), [1, 2, 3], 'drops as many as it takes to fit');
  t.equal(byBytes.bytes, 85);
});

t.test('snapshots are kept over older messages that are not snapshots', async (t) => {
  const q = new PeerQueue(3, 1000);
  q.push(snap(1), 10);
  q.push(numbered(1, 2, 2), 10);
  q.push(numbered(1, 2, 3), 10);
  t.same(seqs(q.push(numbered(1, 2, 4), 10)), [2], 'the oldest non-snapshot goes, not the older snapshot');
  t.same(seqs(q.clear()), [1, 3, 4]);
});

t.test('when only snapshots are left, the oldest snapshot goes', async (t) => {
  const q = new PeerQueue(2, 1000);
  q.push(snap(1), 10);
  q.push(snap(2), 10);
  t.same(seqs(q.push(snap(3), 10)), [1]);
  t.same(seqs(q.clear()), [2, 3]);
});

t.test('a message larger than the whole queue is refused and nothing else is dropped', async (t) => {
  const q = new PeerQueue(10, 100);
  q.push(numbered(1, 2, 1), 10);
  const big = numbered(1, 2, 2);
  t.same(q.push(big, 101), [big]);
  t.same(seqs(q.clear()), [1]);
});

t.test('take returns at least one message, then as many as fit the budget', async (t) => {
  const q = new PeerQueue(10, 1000);
  for (let i = 1; i <= 5; i++) q.push(numbered(1, 2, i), i === 1 ? 500 : 100);
  t.same(seqs(q.take(100)), [1], 'one over-budget message still goes alone');
  t.same(seqs(q.take(250)), [2, 3]);
  t.same(seqs(q.take(1000)), [4, 5]);
  t.same(q.take(1000), []);
});

type Op = { readonly kind: 'push'; readonly snap: boolean; readonly bytes: number } | { readonly kind: 'take'; readonly budget: number };

t.test('under any pushes and takes the bounds hold, nothing is lost unaccounted, and order is kept', async (t) => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('push' as const), snap: fc.boolean(), bytes: fc.integer({ min: 1, max: 60 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('take' as const), budget: fc.integer({ min: 1, max: 200 }) }) },
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 200 }), fc.array(op, { maxLength: 60 }), (countMax, bytesMax, ops) => {
      const q = new PeerQueue(countMax, bytesMax);
      // A model of the queue's content, oldest first, to compare every drop against.
      let model: Message[] = [];
      const seen: number[] = [];
      let pushed = 0;
      for (const o of ops) {
        if (o.kind === 'take') {
          const batch = q.take(o.budget);
          if (batch.some((m, i) => m !== model[i])) return false;
          model = model.slice(batch.length);
          seen.push(...seqs(batch));
          continue;
        }
        pushed++;
        const m = o.snap ? snap(pushed) : numbered(1, 2, pushed);
        const dropped = q.push(m, o.bytes);
        if (q.length > countMax || q.bytes > bytesMax) return false;
        // A snapshot is dropped only when no older non-snapshot message could go instead.
        const droppedSnaps = dropped.filter((d) => d.type === 'snap' && d !== m);
        const keptNonSnaps = model.filter((d) => d.type !== 'snap' && !dropped.includes(d));
        if (droppedSnaps.length > 0 && keptNonSnaps.length > 0) return false;
        // The messages dropped of each kind are the oldest of that kind.
        for (const isSnap of [true, false]) {
          const gone = dropped.filter((d) => d !== m && (d.type === 'snap') === isSnap);
          const ofKind = model.filter((d) => (d.type === 'snap') === isSnap);
          if (gone.some((d, i) => d !== ofKind[i])) return false;
        }
        model = [...model.filter((d) => !dropped.includes(d)), ...(dropped.includes(m) ? [] : [m])];
        seen.push(...seqs(dropped));
      }
      const rest = q.clear();
      if (rest.length !== model.length || rest.some((m, i) => m !== model[i])) return false;
      seen.push(...seqs(rest));
      // Every message pushed is taken, dropped or still queued exactly once.
      return seen.length === pushed && new Set(seen).size === pushed;
    }),
    { seed: 11, numRuns: 1000 },
  );
  t.pass();
});

t.test('taken messages come out in the order they were pushed', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 100 }), fc.integer({ min: 1, max: 300 }), (sizes, budget) => {
      const q = new PeerQueue(1000, 100_000);
      for (const [i, size] of sizes.entries()) q.push(numbered(1, 2, i + 1), size);
      const out: number[] = [];
      for (let batch = q.take(budget); batch.length > 0; batch = q.take(budget)) out.push(...seqs(batch));
      return out.every((seq, i) => seq === i + 1) && out.length === sizes.length;
    }),
    { seed: 12, numRuns: 300 },
  );
  t.pass();
});

t.test('redial delays grow exponentially with jitter up to the maximum, and reset', async (t) => {
  const low = new Backoff(50, 2000, () => 0);
  const high = new Backoff(50, 2000, () => 0.999999);
  const lows = Array.from({ length: 8 }, () => low.nextDelayMs());
  const highs = Array.from({ length: 8 }, () => high.nextDelayMs());
  t.same(lows, [25, 50, 100, 200, 400, 800, 1000, 1000], 'the floor is half the ceiling');
  t.same(highs, [50, 100, 200, 400, 800, 1600, 2000, 2000], 'the ceiling doubles up to the maximum');
  low.reset();
  t.equal(low.nextDelayMs(), 25, 'a reset starts over');
  t.throws(() => new Backoff(0, 10), RangeError);
});
