import { closeSync, openSync, readdirSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseSegmentName } from '../../raft/storage/wal-segment.js';

/** What `damageWalTail` did. */
export interface WalDamage {
  readonly file: string;
  readonly sizeBefore: number;
  readonly sizeAfter: number;
  readonly cutBytes: number;
  readonly garbled: boolean;
}

/**
 * A crash in the middle of a write, made by hand on a stopped replica: cuts `cutBytes` off the
 * newest WAL segment of `dataDir` (never below one byte) and, with `garble`, overwrites the byte
 * before the cut, so the last record is torn or fails its checksum. Replay must drop that tail.
 */
export function damageWalTail(dataDir: string, cutBytes: number, garble: boolean): WalDamage {
  const dir = join(dataDir, 'wal');
  const newest = readdirSync(dir)
    .flatMap((n) => parseSegmentName(n) ?? [])
    .sort((a, b) => b.seq - a.seq)[0];
  if (!newest) throw new Error(`no WAL segment in ${dir}`);
  const file = join(dir, newest.name);
  const sizeBefore = statSync(file).size;
  const sizeAfter = Math.max(1, sizeBefore - cutBytes);
  truncateSync(file, sizeAfter);
  if (garble && sizeAfter > 1) {
    const fd = openSync(file, 'r+');
    try {
      writeSync(fd, Buffer.from([0xa5]), 0, 1, sizeAfter - 1);
    } finally {
      closeSync(fd);
    }
  }
  return { file, sizeBefore, sizeAfter, cutBytes: sizeBefore - sizeAfter, garbled: garble && sizeAfter > 1 };
}
