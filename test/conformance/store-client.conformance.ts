import type { Test } from 'tap';
import { type StoreClient, StoreError, type StoreWatch, type WatchBatch } from '../../raft/client/store-client.js';
import { type KeyValue, TXN_OPS_MAX, type TxnOp, type TxnRequest } from '../../raft/kv/types.js';
import { pollUntil } from '../../scripts/bench/processes.js';

/**
 * One suite for every implementation of the store client port (raft/client/store-client.ts):
 * the behaviours the apiserver relies on, checked the same way against the real leader-aware
 * client on a replica cluster and against its in-memory twin.
 *
 * Each case gets a fresh client from `makeClient` and its own key prefix, so implementations
 * may share one store across cases (a real cluster is slow to start). Cases run one at a time
 * and leave no lease or writer behind, so a case may count on revisions moving only by its own
 * writes.
 *
 * The store under test must send periodic progress notifications every
 * PROGRESS_NOTIFY_INTERVAL_MS (a replica's --watch-progress-notify-interval-ms, the memory
 * server's watchProgressNotifyIntervalMs), so that the case about them ends in good time.
 */

/** The progress notify interval the stores under test are configured with. */
export const PROGRESS_NOTIFY_INTERVAL_MS = 300;

export interface ClientUnderTest {
  readonly client: StoreClient;
  close(): Promise<void>;
}

export type MakeStoreClient = () => Promise<ClientUnderTest>;

interface Case {
  readonly name: string;
  run(t: Test, c: StoreClient, p: string): Promise<void>;
}

/** How long a watch batch may take before the case fails instead of hanging. */
const BATCH_DEADLINE_MS = 15_000;
/** A lease TTL of 1 s is revoked by the leader's next tick after it runs out. */
const LEASE_EXPIRY_DEADLINE_MS = 20_000;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const b = (s: string): Uint8Array => encoder.encode(s);
const text = (v: Uint8Array): string => decoder.decode(v);

/** A kv with its value as text, for comparing whole kvs. */
const kvText = (kv: KeyValue) => ({ ...kv, value: text(kv.value) });

/** One line per event, keys shown relative to `p`, for comparing what a watch delivered. */
function eventLines(batch: WatchBatch, p: string): string[] {
  return batch.events.map((e) => {
    const key = e.kv.key.slice(p.length);
    const now = e.type === 'put' ? `put ${key}=${text(e.kv.value)}@${e.kv.modRevision}` : `delete ${key}@${e.kv.modRevision}`;
    return e.prevKv === undefined ? now : `${now} (was ${text(e.prevKv.value)})`;
  });
}

function withDeadline<T>(promise: Promise<T>, what: string, ms = BATCH_DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Reads a watch one batch at a time, failing the case rather than hanging. */
class Reader {
  private readonly it: AsyncIterator<WatchBatch>;

  constructor(readonly watch: StoreWatch) {
    this.it = watch[Symbol.asyncIterator]();
  }

  async next(): Promise<WatchBatch> {
    const r = await withDeadline(this.it.next(), 'watch batch');
    if (r.done === true) throw new Error('the watch ended');
    return r.value;
  }

  /** How the watch ends, past any batches still queued: 'ended', or the StoreError it failed with. */
  async outcome(): Promise<'ended' | StoreError> {
    try {
      for (;;) if ((await withDeadline(this.it.next(), 'end of the watch')).done === true) return 'ended';
    } catch (e) {
      if (e instanceof StoreError) return e;
      throw e;
    }
  }
}

/** The StoreError a request fails with; fails the case if it succeeds or throws something else. */
async function storeError(request: Promise<unknown>): Promise<StoreError> {
  try {
    await request;
  } catch (e) {
    if (e instanceof StoreError) return e;
    throw e;
  }
  throw new Error('expected the request to fail with a StoreError, but it succeeded');
}

const create = (key: string, value: string): TxnRequest => ({
  compare: [{ key, target: 'createRevision', result: '=', operand: 0 }],
  success: [{ t: 'put', key, value: b(value) }],
  failure: [{ t: 'range', key }],
});

const CASES: Case[] = [
  {
    name: 'a request over the frame limit fails at once with TooLarge, writes nothing, and the client goes on',
    async run(t, c, p) {
      const before = (await c.range(`${p}probe`)).revision;
      const err = await storeError(c.put(`${p}big`, new Uint8Array(5 * 1024 * 1024)));
      t.equal(err.code, 'TooLarge');
      t.match(await c.range(`${p}big`), { count: 0 }, 'nothing written');
      const after = await c.put(`${p}small`, b('ok'));
      t.ok(after.revision > before, 'the next request works');
    },
  },
  {
    name: 'a put is read back with its revisions; a second put bumps version and modRevision and returns prevKv',
    async run(t, c, p) {
      const k = `${p}k`;
      const r1 = await c.put(k, b('v1'));
      const g1 = await c.range(k);
      t.same(g1.kvs.map(kvText), [{ key: k, value: 'v1', createRevision: r1.revision, modRevision: r1.revision, version: 1, lease: 0 }]);
      t.match(g1, { count: 1, more: false });
      t.ok(g1.revision >= r1.revision, 'the read is at or after the write');
      const r2 = await c.put(k, b('v2'), { prevKv: true });
      t.equal(r2.revision, r1.revision + 1, 'one write, one revision');
      t.same(r2.prevKv && kvText(r2.prevKv), { key: k, value: 'v1', createRevision: r1.revision, modRevision: r1.revision, version: 1, lease: 0 });
      const g2 = await c.range(k);
      t.same(g2.kvs.map(kvText), [{ key: k, value: 'v2', createRevision: r1.revision, modRevision: r2.revision, version: 2, lease: 0 }]);
      t.equal((await c.put(`${p}fresh`, b('x'), { prevKv: true })).prevKv, undefined, 'no prevKv for a created key');
      t.match(await c.range(`${p}missing`), { kvs: [], count: 0, more: false });
    },
  },
  {
    name: 'a prefix range returns only the keys under it in key order; limit cuts it short with more and the full count',
    async run(t, c, p) {
      for (const name of ['b', 'a', 'c']) await c.put(`${p}items/${name}`, b(name));
      await c.put(`${p}items0`, b('outside'));
      await c.put(`${p}item`, b('outside'));
      const keys = (kvs: KeyValue[]): string[] => kvs.map((kv) => kv.key.slice(p.length));
      const all = await c.range(`${p}items/`, { prefix: true });
      t.same(keys(all.kvs), ['items/a', 'items/b', 'items/c']);
      t.match(all, { count: 3, more: false });
      const limited = await c.range(`${p}items/`, { prefix: true, limit: 2 });
      t.same(keys(limited.kvs), ['items/a', 'items/b']);
      t.match(limited, { count: 3, more: true });
      const counted = await c.range(`${p}items/`, { prefix: true, countOnly: true });
      t.match(counted, { kvs: [], count: 3, more: false });
    },
  },
  {
    name: 'a range at a past revision sees the store as it was then, and says which revision it read',
    async run(t, c, p) {
      const r1 = await c.put(`${p}k`, b('v1'));
      await c.put(`${p}k`, b('v2'));
      await c.put(`${p}later`, b('new'));
      const past = await c.range(p, { prefix: true, revision: r1.revision });
      t.same(
        past.kvs.map((kv) => [kv.key.slice(p.length), text(kv.value)]),
        [['k', 'v1']],
      );
      t.equal(past.revision, r1.revision);
      const now = await c.range(p, { prefix: true });
      t.same(
        now.kvs.map((kv) => [kv.key.slice(p.length), text(kv.value)]),
        [
          ['k', 'v2'],
          ['later', 'new'],
        ],
      );
    },
  },
  {
    name: 'delete removes exactly the key or the prefix asked for, returning prevKvs; deleting nothing makes no revision',
    async run(t, c, p) {
      for (const k of ['x', 'dir/1', 'dir/2', 'dir0']) await c.put(`${p}${k}`, b(k));
      const dx = await c.delete(`${p}x`, { prevKv: true });
      t.match(dx, { deleted: 1 });
      t.same(
        dx.prevKvs?.map(kvText).map((kv) => [kv.key.slice(p.length), kv.value]),
        [['x', 'x']],
      );
      const dd = await c.delete(`${p}dir/`, { prefix: true, prevKv: true });
      t.equal(dd.deleted, 2);
      t.equal(dd.revision, dx.revision + 1, 'a prefix delete is one revision');
      t.same(
        dd.prevKvs?.map((kv) => kv.key.slice(p.length)),
        ['dir/1', 'dir/2'],
      );
      const left = await c.range(p, { prefix: true });
      t.same(
        left.kvs.map((kv) => kv.key.slice(p.length)),
        ['dir0'],
      );
      const none = await c.delete(`${p}missing`);
      t.match(none, { deleted: 0, revision: dd.revision });
      t.equal(none.prevKvs, undefined, 'no prevKvs unless asked');
    },
  },
  {
    name: 'a create txn (createRevision = 0) succeeds once, then fails and runs its failure branch',
    async run(t, c, p) {
      const k = `${p}obj`;
      const first = await c.txn(create(k, 'one'));
      t.equal(first.succeeded, true);
      t.match(first.results, [{ t: 'put', revision: first.revision }]);
      const second = await c.txn(create(k, 'two'));
      t.equal(second.succeeded, false);
      t.equal(second.revision, first.revision, 'a txn that writes nothing makes no revision');
      const found = second.results[0];
      t.equal(found?.t, 'range');
      if (found?.t === 'range')
        t.same(found.kvs.map(kvText), [{ key: k, value: 'one', createRevision: first.revision, modRevision: first.revision, version: 1, lease: 0 }]);
      t.same(
        (await c.range(k)).kvs.map((kv) => text(kv.value)),
        ['one'],
      );
    },
  },
  {
    name: 'an update txn guarded by modRevision succeeds against the current modRevision only',
    async run(t, c, p) {
      const k = `${p}obj`;
      const r1 = await c.put(k, b('v1'));
      const update = (modRevision: number, value: string) =>
        c.txn({
          compare: [{ key: k, target: 'modRevision', result: '=', operand: modRevision }],
          success: [{ t: 'put', key: k, value: b(value) }],
          failure: [{ t: 'range', key: k }],
        });
      const ok = await update(r1.revision, 'v2');
      t.equal(ok.succeeded, true);
      const stale = await update(r1.revision, 'v3');
      t.equal(stale.succeeded, false);
      t.match(stale.results, [{ t: 'range', kvs: [{ modRevision: ok.revision, version: 2 }] }], 'the failure branch reads the current object');
      t.same(
        (await c.range(k)).kvs.map((kv) => text(kv.value)),
        ['v2'],
      );
    },
  },
  {
    name: 'a txn is one revision: its writes share it, its ranges see its earlier writes, and a watch gets it as one batch',
    async run(t, c, p) {
      const seed = await c.put(`${p}seed`, b('s'));
      const reader = new Reader(c.watch(p, { prefix: true, fromRevision: seed.revision + 1 }));
      const ops: TxnOp[] = [
        { t: 'put', key: `${p}a`, value: b('1') },
        { t: 'put', key: `${p}b`, value: b('2') },
        { t: 'delete', key: `${p}seed` },
        { t: 'range', key: p, prefix: true },
      ];
      const res = await c.txn({ compare: [], success: ops, failure: [] });
      t.equal(res.revision, seed.revision + 1);
      t.match(res.results, [{ t: 'put', revision: res.revision }, { t: 'put', revision: res.revision }, { t: 'delete', deleted: 1 }, { t: 'range' }]);
      const read = res.results[3];
      if (read?.t === 'range')
        t.same(
          read.kvs.map((kv) => [kv.key.slice(p.length), kv.modRevision]),
          [
            ['a', res.revision],
            ['b', res.revision],
          ],
        );
      const batch = await reader.next();
      t.equal(batch.revision, res.revision);
      t.same(eventLines(batch, p), [`put a=1@${res.revision}`, `put b=2@${res.revision}`, `delete seed@${res.revision}`]);
      reader.watch.cancel();
    },
  },
  {
    name: 'a txn that breaks a rule fails with the store error code for it and changes nothing',
    async run(t, c, p) {
      const put = (key: string): TxnOp => ({ t: 'put', key: `${p}${key}`, value: b('v') });
      const before = (await c.put(`${p}before`, b('v'))).revision;
      const table: [string, TxnRequest, string][] = [
        [
          'more ops than the limit',
          { compare: [], success: Array.from({ length: TXN_OPS_MAX + 1 }, (_, i) => put(`many/${i}`)), failure: [] },
          'MalformedCommand',
        ],
        ['one key written twice', { compare: [], success: [put('dup'), put('dup')], failure: [] }, 'DuplicateKeyInTxn'],
        [
          'a compare on an empty key',
          { compare: [{ key: '', target: 'version', result: '=', operand: 0 }], success: [put('x')], failure: [] },
          'InvalidRequest',
        ],
        [
          'a range at a future revision',
          { compare: [], success: [put('y'), { t: 'range', key: p, prefix: true, revision: before + 1000 }], failure: [] },
          'FutureRevision',
        ],
      ];
      for (const [what, request, code] of table) t.equal((await storeError(c.txn(request))).code, code, what);
      const after = await c.range(p, { prefix: true });
      t.same(
        after.kvs.map((kv) => kv.key.slice(p.length)),
        ['before'],
        'no op of a refused txn was applied',
      );
      t.equal((await c.put(`${p}next`, b('v'))).revision, before + 1, 'no refused txn made a revision');
    },
  },
  {
    name: 'invalid requests fail with the StoreError code that names what is wrong',
    async run(t, c, p) {
      const current = (await c.put(`${p}k`, b('v'))).revision;
      const noLease = 2 ** 40;
      const table: [string, () => Promise<unknown>, string][] = [
        ['a put of an empty key', () => c.put('', b('v')), 'InvalidRequest'],
        ['a put of a value that is not bytes', () => c.put(`${p}k`, 'text' as unknown as Uint8Array), 'MalformedCommand'],
        ['a range with both prefix and rangeEnd', () => c.range(p, { prefix: true, rangeEnd: `${p}z` }), 'InvalidRequest'],
        ['a range with a negative limit', () => c.range(p, { prefix: true, limit: -1 }), 'InvalidRequest'],
        ['a range at a future revision', () => c.range(p, { prefix: true, revision: current + 1000 }), 'FutureRevision'],
        ['a put on a lease that does not exist', () => c.put(`${p}k`, b('v'), { lease: noLease }), 'LeaseNotFound'],
        ['a lease grant with a TTL of 0', () => c.leaseGrant(0), 'InvalidRequest'],
        ['a keep-alive of a lease that does not exist', () => c.leaseKeepAlive(noLease), 'LeaseNotFound'],
        ['a compaction at a future revision', () => c.compact(current + 1000), 'FutureRevision'],
      ];
      for (const [what, request, code] of table) t.equal((await storeError(request())).code, code, what);
      const future = await storeError(c.range(p, { prefix: true, revision: current + 1000 }));
      t.match(future.details, { requestedRevision: current + 1000, currentRevision: Number }, 'FutureRevision says what the current revision is');
      const badWatch = await new Reader(c.watch('')).outcome();
      t.equal(badWatch instanceof StoreError ? badWatch.code : badWatch, 'InvalidRequest', 'a watch on an empty key fails when iterated');
    },
  },
  {
    name: 'after compaction, reads and watches before the compact revision fail with Compacted carrying it',
    async run(t, c, p) {
      const k = `${p}k`;
      const r1 = (await c.put(k, b('v1'))).revision;
      const r2 = (await c.put(k, b('v2'))).revision;
      const r3 = (await c.put(k, b('v3'))).revision;
      t.match(await c.compact(r2), { compactRevision: r2 });
      const read = await storeError(c.range(k, { revision: r1 }));
      t.equal(read.code, 'Compacted');
      t.equal(read.compactRevision, r2);
      t.same(
        (await c.range(k, { revision: r2 })).kvs.map((kv) => text(kv.value)),
        ['v2'],
        'the compact revision itself is still readable',
      );
      for (const from of [r1, r2]) {
        const ended = await new Reader(c.watch(k, { fromRevision: from })).outcome();
        t.ok(
          ended instanceof StoreError && ended.code === 'Compacted',
          `a watch from ${from === r1 ? 'before' : 'at'} the compact revision fails with Compacted`,
        );
        if (ended instanceof StoreError) t.equal(ended.compactRevision, r2);
      }
      const after = new Reader(c.watch(k, { fromRevision: r2 + 1 }));
      t.same(eventLines(await after.next(), p), [`put k=v3@${r3}`], 'a watch from after the compact revision replays');
      after.watch.cancel();
      t.equal((await storeError(c.compact(r2))).code, 'Compacted', 'compacting again at the same revision');
      t.ok((await c.status()).compactRevision >= r2, 'status reports the compact revision');
    },
  },
  {
    name: 'a watch from a past revision replays every change in order with prevKv, then follows live changes',
    async run(t, c, p) {
      const r1 = (await c.put(`${p}a`, b('1'))).revision;
      const r2 = (await c.put(`${p}a`, b('2'))).revision;
      const r3 = (await c.delete(`${p}a`)).revision;
      const reader = new Reader(c.watch(p, { prefix: true, fromRevision: r1, prevKv: true }));
      const replayed = [await reader.next(), await reader.next(), await reader.next()];
      t.same(
        replayed.map((batch) => [batch.revision, ...eventLines(batch, p)]),
        [
          [r1, `put a=1@${r1}`],
          [r2, `put a=2@${r2} (was 1)`],
          [r3, `delete a@${r3} (was 2)`],
        ],
      );
      const r4 = (await c.put(`${p}b`, b('live'))).revision;
      const live = await reader.next();
      t.same([live.revision, ...eventLines(live, p)], [r4, `put b=live@${r4}`]);
      reader.watch.cancel();
    },
  },
  {
    name: 'a watch on a prefix sees only keys under it, and a watch on a key only that key, without prevKv unless asked',
    async run(t, c, p) {
      const from = (await c.put(`${p}marker`, b('m'))).revision + 1;
      const onPrefix = new Reader(c.watch(`${p}in/`, { prefix: true, fromRevision: from }));
      const onKey = new Reader(c.watch(`${p}in/a`, { fromRevision: from }));
      const revs: number[] = [];
      for (const [k, v] of [
        ['in/a', '1'],
        ['out/a', 'x'],
        ['in0', 'x'],
        ['in/b', '2'],
        ['in', 'x'],
        ['in/a', '3'],
      ] as const)
        revs.push((await c.put(`${p}${k}`, b(v))).revision);
      const [a1, , , b2, , a3] = revs;
      const prefixLines = [await onPrefix.next(), await onPrefix.next(), await onPrefix.next()].flatMap((batch) => eventLines(batch, p));
      t.same(prefixLines, [`put in/a=1@${a1}`, `put in/b=2@${b2}`, `put in/a=3@${a3}`]);
      const keyLines = [await onKey.next(), await onKey.next()].flatMap((batch) => eventLines(batch, p));
      t.same(keyLines, [`put in/a=1@${a1}`, `put in/a=3@${a3}`]);
      onPrefix.watch.cancel();
      onKey.watch.cancel();
    },
  },
  {
    name: 'a watch without a start revision delivers only the changes made after it started',
    async run(t, c, p) {
      await c.put(`${p}k`, b('before'));
      const reader = new Reader(c.watch(`${p}k`));
      const after = await c.put(`${p}k`, b('after'));
      const batch = await reader.next();
      t.same([batch.revision, ...eventLines(batch, p)], [after.revision, `put k=after@${after.revision}`]);
      reader.watch.cancel();
    },
  },
  {
    name: 'requestProgress on a caught-up watch delivers a progress batch with no events at the current revision',
    async run(t, c, p) {
      const reader = new Reader(c.watch(p, { prefix: true }));
      const put = await c.put(`${p}k`, b('v'));
      t.equal((await reader.next()).revision, put.revision, 'the watch is established once it delivers');
      reader.watch.requestProgress();
      const progress = await reader.next();
      t.match(progress, { progress: true, events: [] });
      t.ok(progress.revision >= put.revision, `progress at ${progress.revision}, at or after the last write ${put.revision}`);
      reader.watch.cancel();
    },
  },
  {
    name: 'requestProgress made right after watch(), before the watch is established, still delivers a progress batch',
    async run(t, c, p) {
      const before = (await c.put(`${p}k`, b('v'))).revision;
      const reader = new Reader(c.watch(p, { prefix: true }));
      reader.watch.requestProgress();
      const progress = await reader.next();
      t.match(progress, { progress: true, events: [] }, 'the request was kept until the watch was established, not dropped');
      t.ok(progress.revision >= before, `progress at ${progress.revision}, at or after the last write ${before}`);
      reader.watch.cancel();
    },
  },
  {
    name: 'a watch with progressNotify gets periodic progress batches at the current revision while idle; one without gets none',
    async run(t, c, p) {
      const notified = new Reader(c.watch(p, { prefix: true, progressNotify: true }));
      const plain = new Reader(c.watch(p, { prefix: true }));
      const put = await c.put(`${p}k`, b('1'));
      // A progress batch may rightly come before the put is applied (the watch was idle then too).
      let first = await notified.next();
      while (first.progress) first = await notified.next();
      t.equal(first.revision, put.revision);
      t.equal((await plain.next()).revision, put.revision);
      const ticks = [await notified.next(), await notified.next()];
      t.match(
        ticks,
        [
          { progress: true, events: [] },
          { progress: true, events: [] },
        ],
        'two periodic progress batches, unasked',
      );
      t.ok(
        ticks.every((batch) => batch.revision >= put.revision),
        `at the current revision (${ticks.map((batch) => batch.revision).join(', ')} after the write at ${put.revision})`,
      );
      const next = await c.put(`${p}k`, b('2'));
      const batch = await plain.next();
      t.same([batch.revision, batch.progress], [next.revision, undefined], 'the watch without progressNotify went from one event to the next');
      notified.watch.cancel();
      plain.watch.cancel();
    },
  },
  {
    name: 'a lease holds its keys: keep-alive answers with its TTL, and revoking it deletes them, which a watch sees',
    async run(t, c, p) {
      const lease = await c.leaseGrant(60);
      t.ok(lease.id > 0, 'the store picks an id');
      t.equal(lease.ttlSeconds, 60);
      const put = await c.put(`${p}held`, b('v'), { lease: lease.id });
      await c.put(`${p}free`, b('v'));
      t.equal((await c.range(`${p}held`)).kvs[0]?.lease, lease.id, 'the key is attached');
      t.match(await c.leaseKeepAlive(lease.id), { id: lease.id, ttlSeconds: 60 });
      const reader = new Reader(c.watch(p, { prefix: true, fromRevision: put.revision + 2, prevKv: true }));
      t.match(await c.leaseRevoke(lease.id), { deleted: 1 });
      t.same(
        (await c.range(p, { prefix: true })).kvs.map((kv) => kv.key.slice(p.length)),
        ['free'],
      );
      const batch = await reader.next();
      t.same(eventLines(batch, p), [`delete held@${batch.revision} (was v)`]);
      t.equal((await storeError(c.leaseRevoke(lease.id))).code, 'LeaseNotFound', 'a revoked lease is gone');
      reader.watch.cancel();
    },
  },
  {
    name: 'a key on a lease that is not kept alive is deleted once the TTL runs out',
    async run(t, c, p) {
      const lease = await c.leaseGrant(1);
      await c.put(`${p}held`, b('v'), { lease: lease.id });
      await pollUntil('the expired lease to take its key', async () => (await c.range(`${p}held`)).count === 0, LEASE_EXPIRY_DEADLINE_MS);
      t.equal((await storeError(c.leaseKeepAlive(lease.id))).code, 'LeaseNotFound', 'the expired lease is revoked');
    },
  },
  {
    name: 'status names a leader and members, and its revision grows with each write',
    async run(t, c, p) {
      const before = await c.status();
      t.ok(before.leader !== 0, 'a leader is known');
      t.ok(before.members.length > 0, 'members are listed');
      const put = await c.put(`${p}k`, b('v'));
      t.ok(put.revision > before.revision, 'the write made a newer revision');
      const after = await c.status();
      t.ok(after.revision >= put.revision, `status revision ${after.revision} includes the write at ${put.revision}`);
    },
  },
  {
    name: 'results are copies: changing a returned value, a watched event or a written buffer leaves the store alone',
    async run(t, c, p) {
      const written = b('abc');
      const put = await c.put(`${p}k`, written);
      written.fill(0);
      const reader = new Reader(c.watch(`${p}k`, { fromRevision: put.revision }));
      const read = await c.range(`${p}k`);
      const kv = read.kvs[0] as KeyValue;
      t.equal(text(kv.value), 'abc', 'reusing the written buffer after the put does not change the stored value');
      kv.value.fill(0);
      (kv as { version: number }).version = 99;
      read.kvs.length = 0;
      const event = (await reader.next()).events[0];
      event?.kv.value.fill(0);
      t.same((await c.range(`${p}k`)).kvs.map(kvText), [
        { key: `${p}k`, value: 'abc', createRevision: put.revision, modRevision: put.revision, version: 1, lease: 0 },
      ]);
      const again = new Reader(c.watch(`${p}k`, { fromRevision: put.revision }));
      t.same(eventLines(await again.next(), p), [`put k=abc@${put.revision}`], 'history is untouched too');
      reader.watch.cancel();
      again.watch.cancel();
    },
  },
  {
    name: 'cancel ends a watch quietly; close fails open watches and later requests with Closed',
    async run(t, c, p) {
      const cancelled = new Reader(c.watch(p, { prefix: true }));
      const open = new Reader(c.watch(p, { prefix: true }));
      await c.put(`${p}k`, b('v'));
      await cancelled.next();
      await open.next();
      cancelled.watch.cancel();
      t.equal(await cancelled.outcome(), 'ended', 'a cancelled watch ends without an error');
      await c.close();
      const ended = await open.outcome();
      t.equal(ended instanceof StoreError ? ended.code : ended, 'Closed', 'an open watch fails with Closed');
      t.equal((await storeError(c.put(`${p}k`, b('v')))).code, 'Closed', 'a request after close');
    },
  },
];

/** Registers the suite as subtests of `t` named `name`, one fresh client per case. */
export function storeClientConformance(t: Test, name: string, makeClient: MakeStoreClient): void {
  t.test(name, async (t) => {
    CASES.forEach((c, i) => {
      t.test(c.name, async (t) => {
        const { client, close } = await makeClient();
        t.teardown(close);
        await c.run(t, client, `/conformance/${i}/`);
      });
    });
  });
}
