import fc from 'fast-check';
import t from 'tap';
import { CompactedError, DuplicateKeyInTxnError } from '../../../../raft/kv/errors.js';
import { prefixEnd } from '../../../../raft/kv/key-range.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { compareHolds } from '../../../../raft/kv/txn-rules.js';
import type { Compare, TxnOp, TxnResult } from '../../../../raft/kv/types.js';
import { b, keyArb, prefixArb, summary, valueArb } from './kv-fixtures.js';
import { NaiveKvModel } from './naive-kv-model.js';

type Step =
  | { readonly kind: 'write'; readonly compare: Compare[]; readonly success: TxnOp[]; readonly failure: TxnOp[] }
  | { readonly kind: 'compact'; readonly back: number };

const writeOpArb: fc.Arbitrary<TxnOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ t: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), key: keyArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), key: prefixArb.filter((p) => p !== ''), prefix: fc.constant(true) }) },
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      compare: fc.array(
        fc.record({
          key: keyArb,
          target: fc.constant('version' as const),
          result: fc.constantFrom('=' as const, '<' as const, '>' as const),
          operand: fc.nat(3),
        }),
        { maxLength: 1 },
      ),
      success: fc.array(writeOpArb, { minLength: 1, maxLength: 3 }),
      failure: fc.array(writeOpArb, { maxLength: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('compact' as const), back: fc.nat(4) }) },
);

t.test('range at any kept revision equals a naive copy-per-revision model, for random writes and compactions', async (t) => {
  fc.assert(
    fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), fc.nat(3), (steps, limit) => {
      const store = new MvccStore();
      const model = new NaiveKvModel();
      for (const step of steps) {
        if (step.kind === 'compact') {
          const target = Math.max(1, store.revision - step.back);
          if (target > store.compactRevision) {
            store.compact(target);
            model.compactRevision = target;
          }
        } else {
          let result: TxnResult;
          try {
            result = store.txn(step);
          } catch (err) {
            if (err instanceof DuplicateKeyInTxnError) continue; // the model does not check this rule
            throw err;
          }
          const succeeded = step.compare.every((c) => compareHolds(c, model.get(c.key)));
          if (result.succeeded !== succeeded) return false;
          model.write(succeeded ? step.success : step.failure);
          if (result.revision !== model.revision || store.revision !== model.revision) return false;
        }
        // Every revision: compacted ones fail, kept ones match the model for every prefix.
        for (let revision = 1; revision <= model.revision; revision++) {
          for (const prefix of ['', 'a', 'a/', 'b', 'c']) {
            const options = { prefix: true, revision, limit };
            if (revision < model.compactRevision) {
              try {
                store.range(prefix, options);
                return false;
              } catch (err) {
                if (!(err instanceof CompactedError) || err.compactRevision !== model.compactRevision) return false;
              }
              continue;
            }
            const got = store.range(prefix, options);
            const want = model.rangeAt(revision, prefix, prefixEnd(prefix));
            const wantPage = limit > 0 ? want.slice(0, limit) : want;
            if (got.count !== want.length || got.more !== wantPage.length < want.length) return false;
            if (JSON.stringify(got.kvs.map(summary)) !== JSON.stringify(wantPage.map(summary))) return false;
          }
        }
      }
      return true;
    }),
    { seed: 42, numRuns: 300 },
  );
  t.pass();
});

t.test('single-key reads match the model at every revision, including keys deleted and re-created', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(keyArb, fc.option(valueArb, { nil: undefined })), { minLength: 1, maxLength: 60 }), (writes) => {
      const store = new MvccStore();
      const model = new NaiveKvModel();
      for (const [key, value] of writes) {
        const op: TxnOp = value === undefined ? { t: 'delete', key } : { t: 'put', key, value };
        if (op.t === 'put') store.put(key, op.value);
        else store.deleteRange(key);
        model.write([op]);
      }
      for (let revision = 1; revision <= model.revision; revision++) {
        for (const key of ['a', 'a/1', 'b', 'c']) {
          const got = store.range(key, { revision }).kvs[0];
          const want = model.rangeAt(revision, key, `${key}\0`)[0];
          if (summary(got) !== summary(want)) return false;
        }
      }
      return true;
    }),
    { seed: 7, numRuns: 300 },
  );
  t.pass();
});

t.test('a key written many times keeps every version readable until compaction', async (t) => {
  const store = new MvccStore();
  for (let i = 0; i < 1000; i++) store.put('hot', b(String(i)));
  t.equal(store.range('hot', { revision: 500 }).kvs[0]?.version, 499);
  store.compact(900);
  t.equal(store.range('hot', { revision: 900 }).kvs[0]?.version, 899);
  t.equal(store.range('hot').kvs[0]?.version, 1000);
});
