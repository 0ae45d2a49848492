import { join } from 'node:path';
import { Packr } from 'msgpackr';
import type { ConfState, Snapshot } from '../core/types.js';
import { crc32c } from './crc32c.js';
import { SnapshotCorruptError } from './errors.js';
import type { FsPort } from './fs-port.js';
import { unlinkIfExists } from './fs-port.js';
import { hex16 } from './wal-segment.js';

/**
 * Snapshot files of one replica, in their own directory (`<data dir>/snap`).
 *
 * File name `<term>-<index>.snap` (16 hex digits each). File format:
 *
 *     [4 bytes "PKSN"][u32 LE format version = 1][u32 LE crc32c(body)][body]
 *     body = msgpack [index, term, voters, learners, data (bin)]
 *
 * Atomic write: the file is written as `<name>.tmp`, fsynced, renamed into place and the
 * directory fsynced, so a file with a snapshot name is either absent or complete — barring
 * damage after the fact, which the checksum catches. A snapshot is usable once `save` resolves;
 * the WAL's snapshot marker is written only after that (see disk-storage.ts), so the WAL never
 * points at a snapshot that is not on disk.
 *
 * Loading skips and reports invalid files (renaming them to `<name>.broken` so they are kept for
 * inspection but no longer considered), falling back to older ones.
 */
export interface SnapshotRef {
  readonly name: string;
  readonly term: number;
  readonly index: number;
}

export interface SkippedSnapshot {
  readonly file: string;
  readonly reason: string;
}

/** A snapshot to write: its data in one buffer, or as slices that concatenated are the data. */
export interface SnapshotToSave {
  readonly metadata: Snapshot['metadata'];
  readonly data: Uint8Array | readonly Uint8Array[];
}

export const SNAPSHOT_MAGIC = 'PKSN';
export const SNAPSHOT_FORMAT_VERSION = 1;
const PREAMBLE_BYTES = 12;
const SNAPSHOT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;

const packr = new Packr({ useRecords: false, moreTypes: false });

/** Bytes checksummed between two pauses. */
const CHECKSUM_SLICE_BYTES = 8 * 1024 * 1024;

export class SnapshotStore {
  private constructor(
    private readonly fs: FsPort,
    readonly dir: string,
    private readonly pause: (() => Promise<void>) | undefined,
  ) {}

  /**
   * Opens (creating) the directory and removes `.tmp` files left by an interrupted save.
   * `pause`, if given, is awaited between slices of a large snapshot's checksum (on save and on
   * load), so that the caller (a replica) can yield its event loop; without it the checksum runs
   * in one go.
   */
  static async open(fs: FsPort, dir: string, pause?: () => Promise<void>): Promise<SnapshotStore> {
    await fs.mkdir(dir);
    for (const name of await fs.readdir(dir)) if (name.endsWith('.tmp')) await unlinkIfExists(fs, join(dir, name));
    return new SnapshotStore(fs, dir, pause);
  }

  static fileName(term: number, index: number): string {
    return `${hex16(term)}-${hex16(index)}.snap`;
  }

  /** Writes the snapshot atomically and durably (temp file, fsync, rename, directory fsync). */
  async save(snapshot: SnapshotToSave): Promise<SnapshotRef> {
    const { index, term, confState } = snapshot.metadata;
    const name = SnapshotStore.fileName(term, index);
    const path = join(this.dir, name);
    // The body is its head (the array header, the metadata, the data's bin header) then the data
    // itself, written as it is rather than copied into one buffer: a snapshot may be hundreds of MB.
    const slices = snapshot.data instanceof Uint8Array ? [snapshot.data] : snapshot.data;
    const head = bodyHead(
      index,
      term,
      confState,
      slices.reduce((n, slice) => n + slice.byteLength, 0),
    );
    const checksum = this.checksummer();
    let crc = await checksum(head, 0);
    for (const slice of slices) crc = await checksum(slice, crc);
    const preamble = new Uint8Array(PREAMBLE_BYTES);
    preamble.set(new TextEncoder().encode(SNAPSHOT_MAGIC), 0);
    const view = new DataView(preamble.buffer);
    view.setUint32(4, SNAPSHOT_FORMAT_VERSION, true);
    view.setUint32(8, crc, true);
    const out = await this.fs.open(`${path}.tmp`, 'truncate');
    try {
      await out.append(preamble);
      await out.append(head);
      for (const slice of slices) await out.append(slice);
      await out.sync();
    } finally {
      await out.close();
    }
    await this.fs.rename(`${path}.tmp`, path);
    await this.fs.syncDir(this.dir);
    return { name, term, index };
  }

  /**
   * A CRC-32C that continues from `seed` over successive buffers, pausing (if a pause was given)
   * after every CHECKSUM_SLICE_BYTES, however the bytes are split into buffers.
   */
  private checksummer(): (data: Uint8Array, seed: number) => Promise<number> {
    let sincePause = 0;
    return async (data, seed) => {
      let crc = seed;
      for (let at = 0; at < data.byteLength; ) {
        // The slice count restarts whether or not there is a pause to take: without the reset, a
        // snapshot over one slice (storectl snapshot restore gives no pause) never advanced.
        if (sincePause >= CHECKSUM_SLICE_BYTES) {
          if (this.pause) await this.pause();
          sincePause = 0;
        }
        const end = Math.min(data.byteLength, at + CHECKSUM_SLICE_BYTES - sincePause);
        crc = crc32c(data.subarray(at, end), crc);
        sincePause += end - at;
        at = end;
      }
      return crc;
    };
  }

  /** The snapshot files present, newest (highest index, then term) first. */
  async list(): Promise<SnapshotRef[]> {
    const refs: SnapshotRef[] = [];
    for (const name of await this.fs.readdir(this.dir)) {
      const match = SNAPSHOT_NAME.exec(name);
      if (match === null) continue;
      refs.push({ name, term: Number.parseInt(match[1] as string, 16), index: Number.parseInt(match[2] as string, 16) });
    }
    return refs.sort((a, b) => b.index - a.index || b.term - a.term);
  }

  /** Reads and verifies one snapshot. Throws SnapshotCorruptError if it is damaged or misnamed. */
  async load(ref: SnapshotRef): Promise<Snapshot> {
    const path = join(this.dir, ref.name);
    const bytes = await this.fs.readFile(path);
    const fail = (reason: string): never => {
      throw new SnapshotCorruptError(path, reason);
    };
    if (bytes.length < PREAMBLE_BYTES) fail(`file is ${bytes.length} bytes, shorter than its preamble`);
    if (new TextDecoder().decode(bytes.subarray(0, 4)) !== SNAPSHOT_MAGIC) fail('wrong magic: not a picokube snapshot');
    const view = new DataView(bytes.buffer, bytes.byteOffset, PREAMBLE_BYTES);
    const version = view.getUint32(4, true);
    if (version !== SNAPSHOT_FORMAT_VERSION) fail(`unsupported format version ${version}`);
    const body = bytes.subarray(PREAMBLE_BYTES);
    if ((await this.checksummer()(body, 0)) !== view.getUint32(8, true)) fail('checksum mismatch');
    let value: unknown;
    try {
      value = packr.unpack(body);
    } catch (err) {
      fail(`body does not decode: ${err instanceof Error ? err.message : String(err)}`);
    }
    const snapshot = decodeBody(value, fail);
    if (snapshot.metadata.index !== ref.index || snapshot.metadata.term !== ref.term) {
      fail(`contents say index ${snapshot.metadata.index}, term ${snapshot.metadata.term}, but the file name says index ${ref.index}, term ${ref.term}`);
    }
    return snapshot;
  }

  /**
   * Loads the newest snapshot that `skip` does not reject (it returns a reason to pass one over)
   * and that reads back valid. Damaged files are renamed to `.broken`; every file passed over is
   * reported. `snapshot` is undefined if none qualifies.
   */
  async loadNewest(skip: (ref: SnapshotRef) => string | undefined = () => undefined): Promise<{ snapshot: Snapshot | undefined; skipped: SkippedSnapshot[] }> {
    const skipped: SkippedSnapshot[] = [];
    for (const ref of await this.list()) {
      const file = join(this.dir, ref.name);
      const reason = skip(ref);
      if (reason !== undefined) {
        skipped.push({ file, reason });
        continue;
      }
      try {
        return { snapshot: await this.load(ref), skipped };
      } catch (err) {
        if (!(err instanceof SnapshotCorruptError)) throw err;
        await this.fs.rename(file, `${file}.broken`);
        await this.fs.syncDir(this.dir);
        skipped.push({ file, reason: `${err.reason} (renamed to ${ref.name}.broken)` });
      }
    }
    return { snapshot: undefined, skipped };
  }

  /** Removes one snapshot file (durably). */
  async remove(ref: SnapshotRef): Promise<void> {
    await unlinkIfExists(this.fs, join(this.dir, ref.name));
    await this.fs.syncDir(this.dir);
  }

  /**
   * Keeps the `keep` newest snapshots at or below `upToIndex` and removes the older ones; files
   * above `upToIndex` (written, not yet recorded durably in the WAL) are left alone. Returns the
   * kept ones, newest first.
   */
  async prune(keep: number, upToIndex: number): Promise<{ kept: SnapshotRef[]; removed: SnapshotRef[] }> {
    const candidates = (await this.list()).filter((r) => r.index <= upToIndex);
    const kept = candidates.slice(0, keep);
    const removed = candidates.slice(keep);
    for (const ref of removed) await unlinkIfExists(this.fs, join(this.dir, ref.name));
    if (removed.length > 0) await this.fs.syncDir(this.dir);
    return { kept, removed };
  }
}

function decodeBody(value: unknown, fail: (reason: string) => never): Snapshot {
  if (!Array.isArray(value) || value.length !== 5) return fail('body is not a 5-field array');
  const [index, term, voters, learners, data] = value as unknown[];
  const natural = (v: unknown, name: string): number =>
    typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : fail(`${name} is not a non-negative integer`);
  const ids = (v: unknown, name: string): number[] => (Array.isArray(v) ? v.map((id: unknown) => natural(id, `${name} id`)) : fail(`${name} is not an array`));
  if (!(data instanceof Uint8Array)) return fail('data is not binary');
  const confState: ConfState = { voters: ids(voters, 'voters'), learners: ids(learners, 'learners') };
  // Copy into a plain Uint8Array: the decoder's Buffer is a view over the whole file.
  return { metadata: { index: natural(index, 'index'), term: natural(term, 'term'), confState }, data: new Uint8Array(data) };
}

/**
 * The bytes of msgpack `[index, term, voters, learners, data]` that come before the data's own
 * bytes: what packing the whole array would write, without copying the data.
 */
function bodyHead(index: number, term: number, conf: ConfState, dataBytes: number): Uint8Array {
  const meta = packr.pack([index, term, [...conf.voters], [...conf.learners]]);
  // A fixarray of 4 becomes one of 5; the data's bin header follows the metadata.
  const bin =
    dataBytes < 0x100
      ? [0xc4, dataBytes]
      : dataBytes < 0x10000
        ? [0xc5, dataBytes >> 8, dataBytes & 0xff]
        : [0xc6, dataBytes >>> 24, (dataBytes >>> 16) & 0xff, (dataBytes >>> 8) & 0xff, dataBytes & 0xff];
  if (meta[0] !== 0x94) throw new Error(`snapshot metadata packed as ${meta[0]}, not a fixarray of 4`);
  return Uint8Array.from([0x95, ...meta.subarray(1), ...bin]);
}
