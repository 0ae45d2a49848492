/**
 * The storage error catalogue. Every error names the file and, where it applies, the byte
 * offset, so an operator can look at the damage; messages say what the replica did about it.
 *
 * Storage errors are fatal to the replica (as in etcd-io/raft, a storage error makes the node
 * inoperable): the safe reaction is to stop and be restored from a peer, never to go on with a
 * log that silently lost acknowledged entries.
 */

/** A WAL segment holds a bad record that is not a torn tail, so data after it would be lost. */
export class WalCorruptError extends Error {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
  constructor(file: string, offset: number, reason: string) {
    super(
      `WAL corrupt in ${file} at byte offset ${offset}: ${reason}. Refusing to open: truncating here would drop records that follow. ` +
        'Restore this replica from a peer (remove its data directory and rejoin), or inspect the file.',
    );
    this.name = 'WalCorruptError';
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** A snapshot file fails its checksum or does not decode. Loading skips it and tries an older one. */
export class SnapshotCorruptError extends Error {
  readonly file: string;
  readonly reason: string;
  constructor(file: string, reason: string) {
    super(`snapshot ${file} is corrupt: ${reason}`);
    this.name = 'SnapshotCorruptError';
    this.file = file;
    this.reason = reason;
  }
}

/** createSnapshot was asked for an index at or below the snapshot already held (etcd's ErrSnapOutOfDate). */
export class SnapshotOutOfDateError extends Error {
  constructor(index: number, snapshotIndex: number) {
    super(`requested snapshot at index ${index} is out of date: the storage already holds a snapshot at ${snapshotIndex}`);
    this.name = 'SnapshotOutOfDateError';
  }
}

/**
 * The WAL continues from a snapshot that cannot be read, and no older valid snapshot has its
 * following entries still in the WAL: the replica cannot rebuild its state machine.
 */
export class StorageRecoveryError extends Error {
  constructor(message: string) {
    super(`storage cannot be recovered: ${message}. Restore this replica from a peer.`);
    this.name = 'StorageRecoveryError';
  }
}

/** A write or fsync failed earlier; the WAL refuses further use (after a failed fsync the page cache state is unknown). */
export class WalFailedError extends Error {
  constructor(cause: unknown) {
    super(`WAL is unusable after an earlier I/O failure: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'WalFailedError';
  }
}
