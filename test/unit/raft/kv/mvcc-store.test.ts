import t from 'tap';
import { CompactedError, DuplicateKeyInTxnError, FutureRevisionError, InvalidRequestError, LeaseNotFoundError } from '../../../../raft/kv/errors.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { b, summary, text } from './kv-fixtures.js';

t.test('a fresh store is at revision 1 with no keys', async (t) => {
  const store = new MvccStore();
  t.equal(store.revision, 1);
  t.same(store.range('', { prefix: true }), { kvs: [], count: 0, more: false, revision: 1 });
});

t.test('each put bumps the revision once and records create, mod revision and version', async (t) => {
  const store = new MvccStore();
  t.equal(store.put('k', b('1')).revision, 2);
  t.equal(store.put('k', b('2')).revision, 3);
  t.equal(store.put('other', b('x')).revision, 4);
  t.equal(summary(store.range('k').kvs[0]), 'k=2 c2 m3 v2 l0');
  t.equal(store.revision, 4);
});

t.test('a delete resets the version, and a re-create starts a new generation with a new create revision', async (t) => {
  const store = new MvccStore();
  store.put('k', b('1')); // 2
  store.put('k', b('2')); // 3
  t.same(store.deleteRange('k'), { revision: 4, deleted: 1 });
  t.same(store.range('k').kvs, []);
  store.put('k', b('3')); // 5
  t.equal(summary(store.range('k').kvs[0]), 'k=3 c5 m5 v1 l0');
  t.equal(summary(store.range('k', { revision: 3 }).kvs[0]), 'k=2 c2 m3 v2 l0', 'the old generation is still readable in the past');
  t.same(store.range('k', { revision: 4 }).kvs, [], 'between generations the key does not exist');
});

t.test('a delete that deletes nothing does not bump the revision', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1'));
  t.same(store.deleteRange('missing'), { revision: 2, deleted: 0 });
  t.same(store.deleteRange('zz', { prefix: true }), { revision: 2, deleted: 0 });
  t.equal(store.revision, 2);
});

t.test('a prefix delete removes every key under the prefix at one revision and returns them with prevKv', async (t) => {
  const store = new MvccStore();
  for (const k of ['a/1', 'a/2', 'a/3', 'b/1']) store.put(k, b(k));
  const result = store.deleteRange('a/', { prefix: true, prevKv: true });
  t.equal(result.revision, 6);
  t.equal(result.deleted, 3);
  t.same(
    result.prevKvs?.map((kv) => kv.key),
    ['a/1', 'a/2', 'a/3'],
  );
  t.same(
    store.range('', { prefix: true }).kvs.map((kv) => kv.key),
    ['b/1'],
  );
});

t.test('put with prevKv returns the replaced kv, and nothing for a new key', async (t) => {
  const store = new MvccStore();
  t.same(store.put('k', b('1'), { prevKv: true }), { revision: 2 });
  t.equal(summary(store.put('k', b('2'), { prevKv: true }).prevKv), 'k=1 c2 m2 v1 l0');
});

t.test('a prefix range returns keys in order, with limit, more and a count that ignores the limit', async (t) => {
  const store = new MvccStore();
  for (const k of ['pods/b', 'pods/a', 'pods/c', 'podsx', 'nodes/a', 'pods/']) store.put(k, b(k));
  const all = store.range('pods/', { prefix: true });
  t.same(
    all.kvs.map((kv) => kv.key),
    ['pods/', 'pods/a', 'pods/b', 'pods/c'],
  );
  t.equal(all.count, 4);
  t.equal(all.more, false);
  const page = store.range('pods/', { prefix: true, limit: 2 });
  t.same(
    page.kvs.map((kv) => kv.key),
    ['pods/', 'pods/a'],
  );
  t.equal(page.count, 4);
  t.equal(page.more, true);
  const counted = store.range('pods/', { prefix: true, countOnly: true });
  t.same(counted, { kvs: [], count: 4, more: false, revision: 7 });
  const keys = store.range('pods/', { prefix: true, keysOnly: true });
  t.same(
    keys.kvs.map((kv) => [kv.key, kv.value.length]),
    [
      ['pods/', 0],
      ['pods/a', 0],
      ['pods/b', 0],
      ['pods/c', 0],
    ],
  );
});

t.test('a range with rangeEnd is half-open, and rangeEnd NUL means to the end of the key space', async (t) => {
  const store = new MvccStore();
  for (const k of ['a', 'b', 'c', 'd']) store.put(k, b(k));
  t.same(
    store.range('b', { rangeEnd: 'd' }).kvs.map((kv) => kv.key),
    ['b', 'c'],
  );
  t.same(
    store.range('b', { rangeEnd: '\0' }).kvs.map((kv) => kv.key),
    ['b', 'c', 'd'],
  );
  t.same(
    store.range('b\0', { rangeEnd: 'd' }).kvs.map((kv) => kv.key),
    ['c'],
    'the Kubernetes continue key (last key + NUL) resumes after it',
  );
  t.throws(() => store.range('a', { prefix: true, rangeEnd: 'b' }), InvalidRequestError);
  t.throws(() => store.range(''), InvalidRequestError);
});

t.test('reads at a past revision see the key space as it was then', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1')); // 2
  store.put('b', b('1')); // 3
  store.put('a', b('2')); // 4
  store.deleteRange('b'); // 5
  const at = (revision: number) => store.range('', { prefix: true, revision }).kvs.map(summary);
  t.same(at(1), []);
  t.same(at(2), ['a=1 c2 m2 v1 l0']);
  t.same(at(3), ['a=1 c2 m2 v1 l0', 'b=1 c3 m3 v1 l0']);
  t.same(at(4), ['a=2 c2 m4 v2 l0', 'b=1 c3 m3 v1 l0']);
  t.same(at(5), ['a=2 c2 m4 v2 l0']);
  t.equal(store.range('a', { revision: 3 }).revision, 3, 'the result carries the revision it was read at');
});

t.test('a read at a future revision fails with FutureRevision', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1'));
  const err = t.throws(() => store.range('a', { revision: 3 })) as unknown as FutureRevisionError;
  t.ok(err instanceof FutureRevisionError);
  t.equal(err.currentRevision, 2);
});

t.test('after compaction, reads before the compact revision fail with Compacted carrying it, and reads from it on still work', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1')); // 2
  store.put('a', b('2')); // 3
  store.put('b', b('1')); // 4
  store.deleteRange('b'); // 5
  store.put('a', b('3')); // 6
  store.compact(4);
  t.equal(store.compactRevision, 4);
  const err = t.throws(() => store.range('a', { revision: 3 })) as unknown as CompactedError;
  t.ok(err instanceof CompactedError);
  t.equal(err.compactRevision, 4);
  t.same(store.range('', { prefix: true, revision: 4 }).kvs.map(summary), ['a=2 c2 m3 v2 l0', 'b=1 c4 m4 v1 l0']);
  t.same(store.range('', { prefix: true, revision: 5 }).kvs.map(summary), ['a=2 c2 m3 v2 l0']);
  t.same(store.range('', { prefix: true }).kvs.map(summary), ['a=3 c2 m6 v3 l0']);
  store.compact(6);
  t.equal(store.indexedKeyCount, 1, 'a key deleted before the compact revision is gone from the index');
  t.throws(() => store.compact(6), CompactedError, 'compacting at the compact revision again is Compacted');
  t.throws(() => store.compact(7), FutureRevisionError);
});

t.test('a txn compares current values and runs the success branch at one revision', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1')); // 2
  const result = store.txn({
    compare: [
      { key: 'a', target: 'value', result: '=', operand: b('1') },
      { key: 'a', target: 'version', result: '=', operand: 1 },
      { key: 'a', target: 'modRevision', result: '<', operand: 3 },
      { key: 'a', target: 'createRevision', result: '>', operand: 1 },
      { key: 'missing', target: 'createRevision', result: '=', operand: 0 },
      { key: 'a', target: 'lease', result: '!=', operand: 7 },
    ],
    success: [
      { t: 'put', key: 'a', value: b('2') },
      { t: 'put', key: 'b', value: b('1') },
      { t: 'range', key: '', prefix: true },
    ],
    failure: [],
  });
  t.equal(result.succeeded, true);
  t.equal(result.revision, 3, 'two puts in one txn share one revision');
  t.equal(store.revision, 3);
  const range = result.results[2];
  t.equal(range?.t, 'range');
  if (range?.t === 'range') t.same(range.kvs.map(summary), ['a=2 c2 m3 v2 l0', 'b=1 c3 m3 v1 l0'], 'a range in a txn sees the writes before it');
});

t.test('each compare operator holds exactly when it should', async (t) => {
  const store = new MvccStore();
  store.put('k', b('m')); // version 1
  const holds = (target: 'version' | 'value', result: '=' | '!=' | '<' | '>', operand: number | string) =>
    store.txn({
      compare: [target === 'value' ? { key: 'k', target, result, operand: b(String(operand)) } : { key: 'k', target, result, operand: Number(operand) }],
      success: [],
      failure: [],
    }).succeeded;
  t.same([holds('version', '=', 1), holds('version', '!=', 1), holds('version', '<', 2), holds('version', '>', 0)], [true, false, true, true]);
  t.same([holds('version', '=', 2), holds('version', '!=', 2), holds('version', '<', 1), holds('version', '>', 1)], [false, true, false, false]);
  t.same([holds('value', '=', 'm'), holds('value', '<', 'n'), holds('value', '>', 'l'), holds('value', '<', 'ma')], [true, true, true, true]);
  t.equal(store.revision, 2, 'txns that only compare do not bump the revision');
});

t.test('a compare on the value of a missing key fails, whatever the operator', async (t) => {
  const store = new MvccStore();
  for (const result of ['=', '!=', '<', '>'] as const) {
    t.equal(store.txn({ compare: [{ key: 'nope', target: 'value', result, operand: b('x') }], success: [], failure: [] }).succeeded, false, result);
  }
});

t.test('a failed compare runs the failure branch, whose range returns the current value (the Kubernetes update conflict)', async (t) => {
  const store = new MvccStore();
  store.put('/registry/pods/default/p', b('v1')); // 2
  store.put('/registry/pods/default/p', b('v2')); // 3
  const result = store.txn({
    compare: [{ key: '/registry/pods/default/p', target: 'modRevision', result: '=', operand: 2 }],
    success: [{ t: 'put', key: '/registry/pods/default/p', value: b('v3') }],
    failure: [{ t: 'range', key: '/registry/pods/default/p' }],
  });
  t.equal(result.succeeded, false);
  t.equal(result.revision, 3, 'a failure branch with only reads does not bump the revision');
  const [range] = result.results;
  t.equal(range?.t === 'range' ? text(range.kvs[0]?.value ?? b('')) : undefined, 'v2');
});

t.test('a txn that writes one key twice is rejected with DuplicateKeyInTxn and changes nothing', async (t) => {
  const store = new MvccStore();
  store.put('a/1', b('1'));
  const twice = {
    compare: [],
    success: [
      { t: 'put' as const, key: 'x', value: b('1') },
      { t: 'put' as const, key: 'x', value: b('2') },
    ],
    failure: [],
  };
  t.throws(() => store.txn(twice), DuplicateKeyInTxnError);
  const putInDeleted = {
    compare: [],
    success: [
      { t: 'delete' as const, key: 'a/', prefix: true },
      { t: 'put' as const, key: 'a/1', value: b('2') },
    ],
    failure: [],
  };
  t.throws(() => store.txn(putInDeleted), DuplicateKeyInTxnError);
  const inFailureBranch = { compare: [], success: [], failure: twice.success };
  t.throws(() => store.txn(inFailureBranch), DuplicateKeyInTxnError, 'both branches are checked, whichever runs');
  t.equal(store.revision, 2);
  t.same(store.range('x').kvs, []);
  const overlappingDeletes = store.txn({
    compare: [],
    success: [
      { t: 'delete', key: 'a/', prefix: true },
      { t: 'delete', key: 'a/1' },
    ],
    failure: [],
  });
  t.equal(overlappingDeletes.revision, 3, 'overlapping deletes are allowed');
});

t.test('a txn put on a missing lease fails whole with LeaseNotFound before any write', async (t) => {
  const store = new MvccStore();
  t.throws(
    () =>
      store.txn({
        compare: [],
        success: [
          { t: 'put', key: 'a', value: b('1') },
          { t: 'put', key: 'b', value: b('1'), lease: 9 },
        ],
        failure: [],
      }),
    LeaseNotFoundError,
  );
  t.equal(store.revision, 1);
  t.same(store.range('a').kvs, []);
});

t.test('the txn result carries put prevKvs and delete counts at the txn revision', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1'));
  const result = store.txn({
    compare: [],
    success: [
      { t: 'put', key: 'a', value: b('2'), prevKv: true },
      { t: 'delete', key: 'zz' },
      { t: 'range', key: 'a', revision: 2 },
    ],
    failure: [],
  });
  t.same(
    result.results.map((r) => [r.t, r.revision]),
    [
      ['put', 3],
      ['delete', 3],
      ['range', 2],
    ],
  );
  const [put] = result.results;
  t.equal(put?.t === 'put' ? summary(put.prevKv) : undefined, 'a=1 c2 m2 v1 l0');
});

t.test('the hash of the key space at a revision does not change when later writes or compaction happen', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1'));
  store.put('b', b('2'));
  const before = store.hash();
  store.put('a', b('3'));
  t.equal(store.hash(3).hash, before.hash);
  t.not(store.hash().hash, before.hash);
  store.compact(3);
  t.equal(store.hash(3).hash, before.hash);
});
