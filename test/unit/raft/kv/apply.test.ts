import { Packr } from 'msgpackr';
import t from 'tap';
import { applyCommand, applyEncoded } from '../../../../raft/kv/apply.js';
import { type Command, decodeCommand, encodeCommand } from '../../../../raft/kv/commands.js';
import { DuplicateKeyInTxnError, LeaseNotFoundError, MalformedCommandError } from '../../../../raft/kv/errors.js';
import { MvccStore } from '../../../../raft/kv/mvcc-store.js';
import { b, text } from './kv-fixtures.js';

const packr = new Packr({ useRecords: false });

t.test('every command kind survives encode and decode unchanged', async (t) => {
  const commands: Command[] = [
    { t: 'put', key: 'k', value: b('v'), lease: 3, prevKv: true, requestId: 'c1:1' },
    { t: 'delete', key: 'a/', prefix: true, prevKv: true },
    { t: 'delete', key: 'a', rangeEnd: 'c' },
    {
      t: 'txn',
      compare: [
        { key: 'k', target: 'modRevision', result: '=', operand: 0 },
        { key: 'k', target: 'value', result: '!=', operand: b('x') },
      ],
      success: [
        { t: 'put', key: 'k', value: b('v') },
        { t: 'range', key: 'k', limit: 1, revision: 2, countOnly: false, keysOnly: true },
      ],
      failure: [
        { t: 'range', key: 'k' },
        { t: 'delete', key: 'k' },
      ],
      requestId: 'c1:2',
    },
    { t: 'compact', revision: 10 },
    { t: 'leaseGrant', ttlSeconds: 60 },
    { t: 'leaseGrant', id: 5, ttlSeconds: 60 },
    { t: 'leaseRevoke', id: 5 },
    { t: 'leaseKeepAlive', id: 5, requestId: 'x' },
  ];
  for (const command of commands) t.same(decodeCommand(encodeCommand(command)), command, command.t);
});

t.test('malformed command bytes are rejected with a typed error and change nothing', async (t) => {
  const store = new MvccStore();
  store.put('a', b('1'));
  const before = store.snapshot();
  const malformed: [string, Uint8Array][] = [
    ['not msgpack', new Uint8Array([0xc1])],
    ['truncated', encodeCommand({ t: 'put', key: 'k', value: b('v') }).subarray(0, 5)],
    ['trailing bytes', new Uint8Array([...encodeCommand({ t: 'compact', revision: 1 }), 0])],
    ['a string', packr.pack('put')],
    ['an unknown tag', packr.pack({ t: 'drop', key: 'k' })],
    ['a missing field', packr.pack({ t: 'put', key: 'k' })],
    ['a wrong field type', packr.pack({ t: 'put', key: 'k', value: 'not bytes' })],
    ['an unknown field', packr.pack({ t: 'put', key: 'k', value: b('v'), ttl: 3 })],
    ['a field of another command', packr.pack({ t: 'put', key: 'k', value: b('v'), revision: 3 })],
    ['a fractional revision', packr.pack({ t: 'compact', revision: 1.5 })],
    ['a bad compare target', packr.pack({ t: 'txn', compare: [{ key: 'k', target: 'size', result: '=', operand: 1 }], success: [], failure: [] })],
    ['a value compare on a number', packr.pack({ t: 'txn', compare: [{ key: 'k', target: 'value', result: '=', operand: 1 }], success: [], failure: [] })],
    ['too many txn ops', packr.pack({ t: 'txn', compare: [], success: Array.from({ length: 129 }, () => ({ t: 'range', key: 'k' })), failure: [] })],
    [
      'a __proto__ field',
      packr.pack(
        new Map<string, unknown>([
          ['t', 'put'],
          ['key', 'k'],
          ['value', b('v')],
          ['__proto__', { lease: 1 }],
        ]),
      ),
    ],
  ];
  for (const [what, bytes] of malformed) {
    t.throws(() => decodeCommand(bytes), MalformedCommandError, what);
    const outcome = applyEncoded(store, bytes);
    t.equal(outcome.ok ? undefined : outcome.error.code, 'MalformedCommand', what);
  }
  t.same(store.snapshot(), before, 'the state is byte-for-byte what it was');
});

t.test('the same request id applied twice changes nothing the second time and returns the same result', async (t) => {
  const store = new MvccStore();
  const put: Command = { t: 'put', key: 'counter', value: b('1'), requestId: 'client-a:1' };
  const first = applyCommand(store, put);
  const afterFirst = store.snapshot();
  const second = applyCommand(store, put);
  t.equal(first.duplicate, false);
  t.equal(second.duplicate, true);
  t.same(second.ok && second.result, first.ok && first.result);
  t.same(store.snapshot(), afterFirst);
  t.equal(store.revision, 2);
  const other = applyCommand(store, { ...put, requestId: 'client-a:2' });
  t.same(other.ok && other.result, { t: 'put', revision: 3 }, 'a new request id applies');
});

t.test('a retried command that failed the first time returns the first failure, not a second attempt', async (t) => {
  const store = new MvccStore();
  const put: Command = { t: 'put', key: 'k', value: b('1'), lease: 1, requestId: 'r' };
  const first = applyCommand(store, put);
  t.ok(!first.ok && first.error instanceof LeaseNotFoundError);
  store.leaseGrant(1, 10);
  const retry = applyCommand(store, put);
  t.ok(retry.duplicate && !retry.ok && retry.error instanceof LeaseNotFoundError);
  t.equal(store.revision, 1);
});

t.test('a retried txn returns its first result even after the keys it read have changed', async (t) => {
  const store = new MvccStore();
  const create: Command = {
    t: 'txn',
    compare: [{ key: '/registry/ns/default', target: 'createRevision', result: '=', operand: 0 }],
    success: [{ t: 'put', key: '/registry/ns/default', value: b('ns') }],
    failure: [{ t: 'range', key: '/registry/ns/default' }],
    requestId: 'apiserver-1:17',
  };
  const first = applyCommand(store, create);
  applyCommand(store, { t: 'put', key: '/registry/ns/default', value: b('changed') });
  const retry = applyCommand(store, create);
  t.same(retry.ok && retry.result, first.ok && first.result);
  t.ok(retry.ok && retry.result.t === 'txn' && retry.result.succeeded, 'the retry is told it succeeded, as the first attempt did');
});

t.test('the dedup table forgets the oldest request id beyond its bound', async (t) => {
  const store = new MvccStore({ dedupRequestsMax: 3 });
  for (let i = 1; i <= 4; i++) applyCommand(store, { t: 'put', key: `k${i}`, value: b('v'), requestId: `r${i}` });
  t.equal(store.requests.size, 3);
  t.equal(applyCommand(store, { t: 'put', key: 'k4', value: b('v'), requestId: 'r4' }).duplicate, true, 'recent ids are remembered');
  t.equal(applyCommand(store, { t: 'put', key: 'k1', value: b('v'), requestId: 'r1' }).duplicate, false, 'the oldest was evicted, so it applies again');
  t.equal(store.revision, 6);
});

t.test('request errors are outcomes, not exceptions, and commands without a request id are not remembered', async (t) => {
  const store = new MvccStore();
  const outcome = applyCommand(store, {
    t: 'txn',
    compare: [],
    success: [
      { t: 'put', key: 'a', value: b('1') },
      { t: 'put', key: 'a', value: b('2') },
    ],
    failure: [],
  });
  t.ok(!outcome.ok && outcome.error instanceof DuplicateKeyInTxnError);
  t.same(applyCommand(store, { t: 'compact', revision: 5 }).ok, false);
  t.equal(store.requests.size, 0);
});

t.test('lease commands apply through the command format', async (t) => {
  const store = new MvccStore();
  const grant = applyCommand(store, { t: 'leaseGrant', ttlSeconds: 30 });
  t.same(grant.ok && grant.result, { t: 'leaseGrant', id: 1, ttlSeconds: 30, revision: 1 });
  applyCommand(store, { t: 'put', key: 'k', value: b('v'), lease: 1 });
  const keepAlive = applyCommand(store, { t: 'leaseKeepAlive', id: 1 });
  t.same(keepAlive.ok && keepAlive.result, { t: 'leaseKeepAlive', id: 1, ttlSeconds: 30, revision: 2 });
  const revoke = applyCommand(store, { t: 'leaseRevoke', id: 1 });
  t.same(revoke.ok && revoke.result, { t: 'leaseRevoke', id: 1, deleted: 1, revision: 3 });
  const compact = applyCommand(store, { t: 'compact', revision: 3 });
  t.same(compact.ok && compact.result, { t: 'compact', revision: 3, compactRevision: 3 });
});

t.test('with shareBytes, a stored value is a view into the entry data it came in, not a copy; without, a copy', async (t) => {
  const data = new Uint8Array(encodeCommand({ t: 'put', key: 'k', value: b('shared value') }));
  const shared = new MvccStore();
  applyEncoded(shared, data, { shareBytes: true });
  const kv = shared.range('k').kvs[0];
  t.equal(kv?.value.buffer, data.buffer, 'the same memory as the entry');
  t.equal(text(kv?.value ?? new Uint8Array()), 'shared value');
  const copied = new MvccStore();
  applyEncoded(copied, data);
  t.not(copied.range('k').kvs[0]?.value.buffer, data.buffer, 'by default the store owns its copy');
});
