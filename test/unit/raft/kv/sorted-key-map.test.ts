import fc from 'fast-check';
import t from 'tap';
import { prefixEnd, rangesOverlap, resolveKeyRange } from '../../../../raft/kv/key-range.js';
import { SortedKeyMap } from '../../../../raft/kv/sorted-key-map.js';

type MapOp = { kind: 'set'; key: string } | { kind: 'delete'; key: string } | { kind: 'range'; start: string; end: string | undefined; stopAfter: number };

const keyArb = fc.integer({ min: 0, max: 600 }).map((n) => `k${n.toString(36)}`);
const mapOpArb: fc.Arbitrary<MapOp> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), key: keyArb }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), key: keyArb }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('range' as const),
      start: fc.oneof(keyArb, fc.constant('')),
      end: fc.option(keyArb, { nil: undefined }),
      stopAfter: fc.nat(50),
    }),
  },
);

t.test('the chunked sorted map agrees with a sorted array through thousands of inserts, deletes and scans', async (t) => {
  fc.assert(
    fc.property(fc.array(mapOpArb, { minLength: 200, maxLength: 2000 }), fc.constantFrom(2, 3, 8, 1024), (ops, chunkKeysMax) => {
      const map = new SortedKeyMap<number>(chunkKeysMax);
      const naive = new Map<string, number>();
      let n = 0;
      for (const op of ops) {
        if (op.kind === 'set') {
          map.set(op.key, ++n);
          naive.set(op.key, n);
        } else if (op.kind === 'delete') {
          if (map.delete(op.key) !== naive.delete(op.key)) return false;
        } else {
          const got: string[] = [];
          map.forEachInRange(op.start, op.end, (key, value) => {
            got.push(`${key}:${value}`);
            return got.length < op.stopAfter || op.stopAfter === 0;
          });
          const all = [...naive]
            .filter(([k]) => k >= op.start && (op.end === undefined || k < op.end))
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([k, v]) => `${k}:${v}`);
          const want = op.stopAfter === 0 ? all : all.slice(0, op.stopAfter);
          if (JSON.stringify(got) !== JSON.stringify(want)) return false;
        }
        if (map.size !== naive.size) return false;
      }
      const sorted = [...naive.keys()].sort();
      return JSON.stringify([...map.entries()].map(([k]) => k)) === JSON.stringify(sorted) && sorted.every((k) => map.get(k) === naive.get(k));
    }),
    { seed: 9, numRuns: 60 },
  );
  t.pass();
});

t.test('a prefix range holds exactly the keys that start with the prefix', async (t) => {
  t.equal(prefixEnd('a/'), 'a0');
  t.equal(prefixEnd('a\uffff'), 'b');
  t.equal(prefixEnd(''), undefined);
  t.equal(prefixEnd('\uffff\uffff'), undefined);
  fc.assert(
    fc.property(
      fc.string({ maxLength: 3, unit: fc.constantFrom('a', 'b', '\uffff', '\0') }),
      fc.string({ maxLength: 5, unit: fc.constantFrom('a', 'b', '\uffff', '\0') }),
      (prefix, key) => {
        const end = prefixEnd(prefix);
        const inRange = key >= prefix && (end === undefined || key < end);
        return inRange === key.startsWith(prefix);
      },
    ),
    { seed: 2, numRuns: 2000 },
  );
});

t.test('ranges overlap exactly when some key lies in both', async (t) => {
  const r = (key: string, end?: string) => resolveKeyRange(key, end === undefined ? {} : { rangeEnd: end });
  t.equal(rangesOverlap(r('a', 'c'), r('b')), true);
  t.equal(rangesOverlap(r('a', 'c'), r('c')), false);
  t.equal(rangesOverlap(r('a', 'c'), r('b', 'd')), true);
  t.equal(rangesOverlap(r('a', 'b'), r('b', 'c')), false);
  t.equal(rangesOverlap(r('a', '\0'), r('zzz', 'zzzz')), true);
});
