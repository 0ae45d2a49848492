/**
 * The Inflights sliding window against a plain array: whatever the sequence of sends,
 * acknowledgements and resets, it holds the same appends and is full at the same moments.
 */
import fc from 'fast-check';
import t from 'tap';
import { RaftInvariantError } from '../../../../raft/core/errors.js';
import { Inflights } from '../../../../raft/core/inflights.js';

type Op = { kind: 'add'; step: number; bytes: number } | { kind: 'free'; back: number } | { kind: 'reset' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), step: fc.integer({ min: 1, max: 4 }), bytes: fc.integer({ min: 0, max: 50 }) }) },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant('free' as const), back: fc.integer({ min: -2, max: 12 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reset' as const) }) },
);

class NaiveInflights {
  items: { index: number; bytes: number }[] = [];
  constructor(
    readonly capacity: number,
    readonly bytesMax: number,
  ) {}
  full(): boolean {
    const bytes = this.items.reduce((s, x) => s + x.bytes, 0);
    return this.items.length >= this.capacity || (this.bytesMax > 0 && bytes >= this.bytesMax);
  }
}

t.test('Inflights behaves like an array of in-flight appends', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 8 }),
      fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 200 })),
      fc.array(op, { maxLength: 400 }),
      (capacity, bytesMax, ops) => {
        const real = new Inflights(capacity, bytesMax);
        const model = new NaiveInflights(capacity, bytesMax);
        let last = 0;
        for (const o of ops) {
          switch (o.kind) {
            case 'add': {
              const index = last + o.step;
              if (model.full()) {
                // The leader never sends into a full window; doing so is an invariant breach.
                let threw = false;
                try {
                  real.add(index, o.bytes);
                } catch (e) {
                  threw = e instanceof RaftInvariantError;
                }
                if (!threw) return false;
              } else {
                real.add(index, o.bytes);
                model.items.push({ index, bytes: o.bytes });
                last = index;
              }
              break;
            }
            case 'free': {
              const upTo = last - o.back;
              real.freeLE(upTo);
              model.items = model.items.filter((x) => x.index > upTo);
              break;
            }
            case 'reset':
              real.reset();
              model.items = [];
              break;
          }
          if (real.count !== model.items.length || real.full() !== model.full()) return false;
        }
        return true;
      },
    ),
    { numRuns: 1000 },
  );
  t.pass();
});

t.test("a long run of sends and acknowledgements does not grow the window's storage", async (t) => {
  const w = new Inflights(4, 0);
  for (let i = 1; i <= 10_000; i++) {
    w.add(i, 1);
    if (i % 4 === 0) w.freeLE(i);
  }
  t.equal(w.count, 0);
  const arrays = w as unknown as { indexes: number[] };
  t.ok(arrays.indexes.length < 200, `backing array holds ${arrays.indexes.length}`);
});
