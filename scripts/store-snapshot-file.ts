import { readFileSync, writeFileSync } from 'node:fs';
import { decodeStateSnapshot, encodeStateSnapshot } from '../raft/server/members.js';
import { crc32c } from '../raft/storage/crc32c.js';
import { DiskStorage } from '../raft/storage/disk-storage.js';
import { NodeFs } from '../raft/storage/node-fs.js';

/**
 * A backup of the store (`storectl snapshot save`): the state machine snapshot with a header
 * that lets restore refuse a damaged file. Layout: "PKBK", u32 version, f64 revision,
 * u32 crc32c of the payload, u32 payload length, payload.
 */
/**
 * Store client options for a `snapshot` request: the replica encodes the whole key space and
 * sends it in one answer, which for a store of tens of MiB takes seconds. A client's usual
 * per-attempt timeout (1-3 s) and keepalive (a few missed pongs, which queue behind the answer)
 * would cut it off and retry until the request times out, once the store outgrows them.
 */
export const SNAPSHOT_CLIENT_OPTIONS = { attemptTimeoutMs: 300_000, requestTimeoutMs: 300_000, keepaliveIntervalMs: 1000, keepaliveMisses: 300 } as const;

const MAGIC = 'PKBK';
const HEADER_BYTES = 4 + 4 + 8 + 4 + 4;

export function writeSnapshotFile(path: string, data: Uint8Array, revision: number): void {
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(1, 4);
  header.writeDoubleLE(revision, 8);
  header.writeUInt32LE(crc32c(data), 16);
  header.writeUInt32LE(data.byteLength, 20);
  writeFileSync(path, Buffer.concat([header, data]), { mode: 0o600 });
}

export function readSnapshotFile(path: string): { data: Uint8Array; revision: number } {
  const buf = readFileSync(path);
  if (buf.byteLength < HEADER_BYTES || buf.toString('latin1', 0, 4) !== MAGIC) throw new Error(`${path} is not a picokube store backup`);
  if (buf.readUInt32LE(4) !== 1) throw new Error(`${path}: backup version ${buf.readUInt32LE(4)} is not supported`);
  const length = buf.readUInt32LE(20);
  const data = new Uint8Array(buf.subarray(HEADER_BYTES, HEADER_BYTES + length));
  if (data.byteLength !== length) throw new Error(`${path} is truncated: ${data.byteLength} of ${length} bytes`);
  if (crc32c(data) !== buf.readUInt32LE(16)) throw new Error(`${path} is damaged: checksum mismatch`);
  return { data, revision: buf.readDoubleLE(8) };
}

/**
 * Seeds a new replica's data directory from a backup: the backup becomes the first snapshot of
 * a new cluster whose voters (and their peer addresses) are given by `peers`. Run it once per
 * replica of the new cluster, each with its own data directory, then start them.
 */
export async function restoreSnapshotFile(file: string, dataDir: string, peers: string): Promise<{ revision: number; voters: number[] }> {
  const { data, revision } = readSnapshotFile(file);
  const state = decodeStateSnapshot(data);
  const members = peers
    .split(',')
    .filter(Boolean)
    .map((p) => {
      const m = /^(\d+)=(.+)$/.exec(p.trim());
      if (!m) throw new Error(`--peers: expected id=host:port, got ${p}`);
      const id = Number(m[1]);
      return { id, peerAddress: m[2] as string, clientAddress: state.members.find((x) => x.id === id)?.clientAddress ?? '' };
    });
  const storage = await DiskStorage.open({ fs: new NodeFs(), dir: dataDir });
  try {
    if (storage.lastIndex() > 0 || storage.snapshot().metadata.index > 0)
      throw new Error(`${dataDir} already holds a replica's data; restore into an empty directory`);
    const voters = members.map((m) => m.id).sort((a, b) => a - b);
    await storage.save({ term: 1, vote: 0, commit: 1 }, [], {
      metadata: { index: 1, term: 1, confState: { voters, learners: [] } },
      data: encodeStateSnapshot({ kv: state.kv, members }),
    });
    await storage.sync();
    return { revision, voters };
  } finally {
    await storage.close();
  }
}
