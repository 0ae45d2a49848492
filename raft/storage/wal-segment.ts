/**
 * Segment file names: `<seq>-<firstIndex>.wal`, both as 16 zero-padded lowercase hex digits, so
 * names sort in write order (as etcd names its WAL files). `seq` counts segments from 1 with no
 * gaps among those kept; `firstIndex` is the log's last index + 1 when the segment was started:
 * every entry still live above `firstIndex - 1` was written into this segment or a later one,
 * which is what lets `Wal.releaseTo` drop whole segments by name alone.
 *
 * A segment is first written as `<name>.tmp` (header, snapshot marker, hard state), synced, then
 * renamed into place and the directory synced, so a file with a segment name always begins with
 * a complete head. Leftover `.tmp` files are a crash mid-rotation and are deleted on open.
 */

export const SEGMENT_SUFFIX = '.wal';
export const TMP_SUFFIX = '.tmp';

export interface SegmentName {
  readonly name: string;
  readonly seq: number;
  readonly firstIndex: number;
}

const SEGMENT_NAME = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;

export function hex16(n: number): string {
  return n.toString(16).padStart(16, '0');
}

export function segmentName(seq: number, firstIndex: number): SegmentName {
  return { name: `${hex16(seq)}-${hex16(firstIndex)}${SEGMENT_SUFFIX}`, seq, firstIndex };
}

/** The parsed name, or undefined for a file that is not a segment. */
export function parseSegmentName(name: string): SegmentName | undefined {
  const match = SEGMENT_NAME.exec(name);
  if (match === null) return undefined;
  const seq = Number.parseInt(match[1] as string, 16);
  const firstIndex = Number.parseInt(match[2] as string, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstIndex)) return undefined;
  return { name, seq, firstIndex };
}
