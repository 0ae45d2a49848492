import fc from 'fast-check';
import t from 'tap';
import type { Entry, HardState } from '../../../../raft/core/types.js';
import { EMPTY_HARD_STATE } from '../../../../raft/core/types.js';
import type { FileHandle, FsPort, OpenMode } from '../../../../raft/storage/fs-port.js';
import { MemFs } from '../../../../raft/storage/mem-fs.js';
import type { WalOpened } from '../../../../raft/storage/wal.js';
import { Wal } from '../../../../raft/storage/wal.js';
import type { SnapshotMarker } from '../../../../raft/storage/wal-record.js';

/**
 * The WAL checked against a naive model under crashes: random appends (with overwrites),
 * hard states, snapshot markers, syncs and releases, then power loss — between operations, or
 * just before the k-th file-system call of a flush (so at every step of a write, fsync or
 * rotation), with a torn write — then reopen. What reopen returns must equal the
 * model after some prefix of the records: at least everything a resolved sync() covered, at most
 * everything appended. Then the run goes on from the reopened WAL, for several rounds.
 */

type Op =
  | { readonly kind: 'append'; readonly count: number; readonly back: number; readonly newTerm: boolean }
  | { readonly kind: 'hardState'; readonly vote: number }
  | { readonly kind: 'localSnapshot'; readonly pick: number }
  | { readonly kind: 'installSnapshot'; readonly ahead: number }
  | { readonly kind: 'sync' }
  | { readonly kind: 'release' };

interface Round {
  readonly ops: readonly Op[];
  /** undefined: crash between operations; k: start a sync and crash just before its k-th file-system call. */
  readonly crashAtCall: number | undefined;
  /** How much of the unsynced bytes a crash keeps, in thousandths. */
  readonly tornPermille: number;
}

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('append' as const),
      count: fc.integer({ min: 1, max: 4 }),
      back: fc.integer({ min: 0, max: 3 }),
      newTerm: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('hardState' as const), vote: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('localSnapshot' as const), pick: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('installSnapshot' as const), ahead: fc.nat(3) }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'sync' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
);

const arbRound: fc.Arbitrary<Round> = fc.record({
  ops: fc.array(arbOp, { maxLength: 25 }),
  crashAtCall: fc.option(fc.nat(12), { nil: undefined }),
  tornPermille: fc.integer({ min: 0, max: 1000 }),
});

/** The naive model: the live log as a map, the last marker, the last hard state. */
interface Model {
  readonly log: ReadonlyMap<number, Entry>;
  readonly marker: SnapshotMarker;
  readonly hardState: HardState;
  readonly term: number;
}

type ModelRecord =
  | { kind: 'entry'; entry: Entry }
  | { kind: 'hardState'; hardState: HardState }
  | { kind: 'marker'; marker: SnapshotMarker; replacesLog: boolean };

function applyRecord(m: Model, r: ModelRecord): Model {
  switch (r.kind) {
    case 'entry': {
      const log = new Map([...m.log].filter(([i]) => i < r.entry.index));
      log.set(r.entry.index, r.entry);
      return { ...m, log, term: Math.max(m.term, r.entry.term) };
    }
    case 'hardState':
      return { ...m, hardState: r.hardState };
    case 'marker':
      return { ...m, marker: r.marker, log: r.replacesLog ? new Map() : m.log, term: Math.max(m.term, r.marker.term) };
  }
}

function lastIndexOf(m: Model): number {
  return Math.max(m.marker.index, ...m.log.keys());
}

function view(m: Model): unknown {
  const after = [...m.log.values()].filter((e) => e.index > m.marker.index).sort((a, b) => a.index - b.index);
  return { hardState: m.hardState, marker: m.marker, entries: after.map(show), lastIndex: lastIndexOf(m) };
}

function viewOpened(o: WalOpened): unknown {
  return { hardState: o.hardState, marker: o.snapshotMarker, entries: o.entries.map(show), lastIndex: o.lastIndex };
}

function show(e: Entry): string {
  return `${e.index}/${e.term}/${new TextDecoder().decode(e.data)}`;
}

/**
 * A file-system port over a MemFs that, once armed, crashes the machine just before the k-th
 * call (on the port or on a handle) and fails that call, as power loss mid-syscall would. After
 * the crash every call through this wrapper fails; `rebooted` is the machine that comes back.
 */
class CrashingFs implements FsPort {
  private countdown: number | undefined;
  private tornBytes: ((path: string, n: number) => number) | undefined;
  rebooted: MemFs | undefined;

  constructor(private readonly mem: MemFs) {}

  arm(calls: number, tornBytes: (path: string, n: number) => number): void {
    this.countdown = calls;
    this.tornBytes = tornBytes;
  }

  /** Crashes now, between calls, unless an armed crash already happened; returns the rebooted machine. */
  crash(tornBytes: (path: string, n: number) => number): MemFs {
    this.rebooted ??= this.mem.crash({ tornBytes });
    return this.rebooted;
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    if (this.rebooted !== undefined) throw Object.assign(new Error('EIO: the machine crashed'), { code: 'EIO' });
    if (this.countdown !== undefined) {
      if (this.countdown === 0) {
        this.crash(this.tornBytes ?? (() => 0));
        throw Object.assign(new Error('EIO: crashed mid-call'), { code: 'EIO' });
      }
      this.countdown--;
    }
    return run();
  }

  mkdir(path: string): Promise<void> {
    return this.call(() => this.mem.mkdir(path));
  }
  readdir(path: string): Promise<string[]> {
    return this.call(() => this.mem.readdir(path));
  }
  readFile(path: string): Promise<Uint8Array> {
    return this.call(() => this.mem.readFile(path));
  }
  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const inner = await this.call(() => this.mem.open(path, mode));
    return {
      path,
      append: (data) => this.call(() => inner.append(data)),
      sync: () => this.call(() => inner.sync()),
      close: () => inner.close(),
    };
  }
  rename(from: string, to: string): Promise<void> {
    return this.call(() => this.mem.rename(from, to));
  }
  unlink(path: string): Promise<void> {
    return this.call(() => this.mem.unlink(path));
  }
  truncate(path: string, length: number): Promise<void> {
    return this.call(() => this.mem.truncate(path, length));
  }
  syncDir(path: string): Promise<void> {
    return this.call(() => this.mem.syncDir(path));
  }
}

const EMPTY_MODEL: Model = { log: new Map(), marker: { index: 0, term: 0 }, hardState: EMPTY_HARD_STATE, term: 1 };
const SEGMENT_BYTES_MAX = 160;

async function runScenario(rounds: readonly Round[]): Promise<void> {
  let fs = new CrashingFs(new MemFs());
  let opened = await Wal.open(fs, '/wal', { segmentBytesMax: SEGMENT_BYTES_MAX });
  /** models[k]: the state after the first k records of this round's base. */
  let models: Model[] = [EMPTY_MODEL];
  let synced = 0;
  let writes = 0;
  for (const round of rounds) {
    const wal = opened.wal;
    const record = (r: ModelRecord): void => {
      models.push(applyRecord(models[models.length - 1] as Model, r));
    };
    for (const op of round.ops) {
      const m = models[models.length - 1] as Model;
      const last = lastIndexOf(m);
      switch (op.kind) {
        case 'append': {
          const term = op.newTerm ? m.term + 1 : m.term;
          const start = Math.max(m.marker.index + 1, last + 1 - op.back);
          const batch: Entry[] = [];
          for (let i = 0; i < op.count; i++) batch.push({ index: start + i, term, type: 'normal', data: new TextEncoder().encode(`w${writes++}`) });
          wal.append(batch);
          for (const entry of batch) record({ kind: 'entry', entry });
          break;
        }
        case 'hardState': {
          const hs = { term: m.term, vote: op.vote, commit: Math.min(last, m.hardState.commit + 1) };
          wal.append([], hs);
          record({ kind: 'hardState', hardState: hs });
          break;
        }
        case 'localSnapshot': {
          if (last <= m.marker.index || !m.log.has(last)) break;
          const index = m.marker.index + 1 + (op.pick % (last - m.marker.index));
          const entry = m.log.get(index);
          if (entry === undefined) break;
          wal.markSnapshot({ index, term: entry.term }, false);
          record({ kind: 'marker', marker: { index, term: entry.term }, replacesLog: false });
          break;
        }
        case 'installSnapshot': {
          const marker = { index: Math.max(m.marker.index + 1, last - 1 + op.ahead), term: m.term };
          wal.markSnapshot(marker, true);
          record({ kind: 'marker', marker, replacesLog: true });
          break;
        }
        case 'sync':
          await wal.sync();
          synced = models.length - 1;
          break;
        case 'release':
          await wal.releaseTo(wal.durableSnapshotMarker.index);
          break;
      }
    }
    const appended = models.length - 1;
    const tornBytes = (_path: string, n: number): number => Math.floor((round.tornPermille * (n + 1)) / 1001);
    if (round.crashAtCall !== undefined) {
      fs.arm(round.crashAtCall, tornBytes);
      const acknowledged = await wal.sync().then(
        () => true,
        () => false,
      );
      if (acknowledged) synced = appended;
    }
    fs = new CrashingFs(fs.crash(tornBytes));

    opened = await Wal.open(fs, '/wal', { segmentBytesMax: SEGMENT_BYTES_MAX });
    const got = JSON.stringify(viewOpened(opened));
    let match: number | undefined;
    for (let k = appended; k >= synced; k--) {
      if (JSON.stringify(view(models[k] as Model)) === got) {
        match = k;
        break;
      }
    }
    if (match === undefined) {
      throw new Error(
        `reopened state matches no prefix between ${synced} and ${appended} records:\n got ${got}\n synced ${JSON.stringify(view(models[synced] as Model))}`,
      );
    }
    models = models.slice(0, match + 1);
    synced = match;
  }
  await opened.wal.close();
}

t.test('after a crash the WAL reopens to the last synced state, possibly plus a prefix of the unsynced records', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(arbRound, { minLength: 1, maxLength: 3 }), async (rounds) => {
      await runScenario(rounds);
    }),
    { seed: 42, numRuns: 300 },
  );
  t.pass();
});

t.test('a crash before any sync leaves an empty WAL that opens cleanly', async (t) => {
  await runScenario([{ ops: [{ kind: 'append', count: 3, back: 0, newTerm: false }], crashAtCall: undefined, tornPermille: 500 }]);
  t.pass();
});
