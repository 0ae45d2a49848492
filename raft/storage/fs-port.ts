/**
 * The file-system port: the few operations the WAL and the snapshot store need, with the
 * durability of each one stated, so that the in-memory twin (mem-fs.ts) can model exactly what a
 * crash keeps and the simulator can own the disk. The real implementation is node-fs.ts; one
 * conformance suite (test/unit/raft/storage/fs-port.conformance.test.ts) runs against both.
 *
 * Durability model (POSIX with no extra guarantees, as ext4/xfs give in their default modes):
 * - File bytes written through a handle are durable once `FileHandle.sync()` resolves.
 * - Directory entries (a file created, renamed, unlinked) are durable once `syncDir()` of the
 *   directory holding them resolves. A crash before that may undo the change.
 * - `mkdir` and `truncate` are durable when they resolve (the implementations sync for you),
 *   because every caller needs that and forgetting it is a classic recovery bug.
 * - A crash may keep any prefix of the unsynced bytes appended to a file (a torn write).
 *
 * Errors carry Node's `code` ('ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY'); use
 * `fsErrorCode` to read it. Paths are joined with node:path by callers.
 */

export type OpenMode =
  /** Create the file if absent, keep its bytes if present, write at its end. */
  | 'append'
  /** Create the file if absent, empty it if present, write at its end. */
  | 'truncate';

/** An open file written only at its end. One writer per file. */
export interface FileHandle {
  readonly path: string;
  /** Appends all of `data` at the end of the file. Not durable until `sync()`. */
  append(data: Uint8Array): Promise<void>;
  /** fdatasync: every byte appended so far (and the file size) is durable when this resolves. */
  sync(): Promise<void>;
  /** Closes the handle; unsynced bytes stay unsynced. */
  close(): Promise<void>;
}

export interface FsPort {
  /** Creates `path` and any missing parents; no error if it exists. Durable when it resolves. */
  mkdir(path: string): Promise<void>;
  /** The names in a directory, sorted ascending (code-unit order). ENOENT if it does not exist. */
  readdir(path: string): Promise<string[]>;
  /** The whole content of a file. ENOENT if it does not exist. */
  readFile(path: string): Promise<Uint8Array>;
  /** Opens a file for appending; creating it is durable only after `syncDir` of its directory. */
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  /** Atomically replaces `to` with `from` (same directory or not). Durable after `syncDir`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. ENOENT if it does not exist. Durable after `syncDir`. */
  unlink(path: string): Promise<void>;
  /** Cuts a file to `length` bytes (never extends). Durable when it resolves. */
  truncate(path: string, length: number): Promise<void>;
  /** fsync of a directory: entries created, renamed or removed in it so far are durable. */
  syncDir(path: string): Promise<void>;
}

/** The `code` of a file-system error (Node's SystemError or mem-fs's), if it has one. */
export function fsErrorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** An error shaped like Node's, for the in-memory implementation. */
export function fsError(code: string, syscall: string, path: string): Error & { code: string } {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });
}

/** Removes a file, treating "already gone" as success. */
export async function unlinkIfExists(fs: FsPort, path: string): Promise<void> {
  try {
    await fs.unlink(path);
  } catch (err) {
    if (fsErrorCode(err) !== 'ENOENT') throw err;
  }
}
