/**
 * The key-value state machine's error catalogue, in one place so that the client endpoint maps
 * each to one wire code (and the apiserver, later, to one Kubernetes Status).
 *
 * Two kinds:
 * - Request errors (every class extending `KvError`): a command or read the store refuses, with
 *   no state change. They are deterministic: every replica refuses the same command the same
 *   way, so apply returns them as outcomes (and the dedup table may cache them) rather than
 *   stopping the replica. `toErrorData` / `fromErrorData` carry them across a snapshot or a wire.
 * - `KvInvariantError`: a bug. The replica must stop rather than go on with diverged state.
 */

export type KvErrorCode =
  | 'Compacted'
  | 'FutureRevision'
  | 'DuplicateKeyInTxn'
  | 'LeaseNotFound'
  | 'LeaseExists'
  | 'InvalidRequest'
  | 'MalformedCommand'
  | 'MalformedSnapshot';

/** The base of every request error; `code` is stable and is what crosses the wire. */
export abstract class KvError extends Error {
  abstract readonly code: KvErrorCode;
}

/**
 * The requested revision is older than the compact revision: its history is gone. Kubernetes
 * answers 410 Gone; a watcher relists and watches from the list's revision + 1.
 */
export class CompactedError extends KvError {
  readonly code = 'Compacted';
  readonly requestedRevision: number;
  readonly compactRevision: number;
  constructor(requestedRevision: number, compactRevision: number) {
    super(`mvcc: required revision ${requestedRevision} has been compacted (compact revision is ${compactRevision})`);
    this.name = 'CompactedError';
    this.requestedRevision = requestedRevision;
    this.compactRevision = compactRevision;
  }
}

/** The requested revision is newer than the store's current revision. */
export class FutureRevisionError extends KvError {
  readonly code = 'FutureRevision';
  readonly requestedRevision: number;
  readonly currentRevision: number;
  constructor(requestedRevision: number, currentRevision: number) {
    super(`mvcc: required revision ${requestedRevision} is a future revision (current revision is ${currentRevision})`);
    this.name = 'FutureRevisionError';
    this.requestedRevision = requestedRevision;
    this.currentRevision = currentRevision;
  }
}

/** A txn branch writes one key twice (two puts, or a put inside a deleted range), as etcd refuses. */
export class DuplicateKeyInTxnError extends KvError {
  readonly code = 'DuplicateKeyInTxn';
  readonly key: string;
  constructor(key: string) {
    super(`duplicate key given in txn request: ${JSON.stringify(key)} is written more than once`);
    this.name = 'DuplicateKeyInTxnError';
    this.key = key;
  }
}

/** A put names, or a revoke or keep-alive targets, a lease that does not exist (or was revoked). */
export class LeaseNotFoundError extends KvError {
  readonly code = 'LeaseNotFound';
  readonly leaseId: number;
  constructor(leaseId: number) {
    super(`lease not found: ${leaseId}`);
    this.name = 'LeaseNotFoundError';
    this.leaseId = leaseId;
  }
}

/** A grant names a lease id that is already granted. */
export class LeaseExistsError extends KvError {
  readonly code = 'LeaseExists';
  readonly leaseId: number;
  constructor(leaseId: number) {
    super(`lease already exists: ${leaseId}`);
    this.name = 'LeaseExistsError';
    this.leaseId = leaseId;
  }
}

/** A well-formed request that breaks a rule of the API: an empty key, too many txn ops, a bad TTL. */
export class InvalidRequestError extends KvError {
  readonly code = 'InvalidRequest';
  readonly reason: string;
  constructor(reason: string) {
    super(`invalid request: ${reason}`);
    this.name = 'InvalidRequestError';
    this.reason = reason;
  }
}

/** Command bytes that do not decode to a command (bad msgpack, wrong shape or field type). */
export class MalformedCommandError extends KvError {
  readonly code = 'MalformedCommand';
  readonly reason: string;
  constructor(reason: string) {
    super(`malformed command: ${reason}`);
    this.name = 'MalformedCommandError';
    this.reason = reason;
  }
}

/** Snapshot bytes that do not decode to a store (wrong tag or version, bad shape). */
export class MalformedSnapshotError extends KvError {
  readonly code = 'MalformedSnapshot';
  readonly reason: string;
  constructor(reason: string) {
    super(`malformed kv snapshot: ${reason}`);
    this.name = 'MalformedSnapshotError';
    this.reason = reason;
  }
}

/** An invariant of the state machine was broken: a bug. Never returned as an outcome. */
export class KvInvariantError extends Error {
  constructor(message: string) {
    super(`kv invariant violated: ${message}`);
    this.name = 'KvInvariantError';
  }
}

export function kvInvariant(condition: boolean, message: string | (() => string)): asserts condition {
  if (!condition) throw new KvInvariantError(typeof message === 'string' ? message : message());
}

/** A request error as plain data: what a snapshot or a wire message carries. */
export type KvErrorData =
  | { readonly code: 'Compacted'; readonly requestedRevision: number; readonly compactRevision: number }
  | { readonly code: 'FutureRevision'; readonly requestedRevision: number; readonly currentRevision: number }
  | { readonly code: 'DuplicateKeyInTxn'; readonly key: string }
  | { readonly code: 'LeaseNotFound' | 'LeaseExists'; readonly leaseId: number }
  | { readonly code: 'InvalidRequest' | 'MalformedCommand' | 'MalformedSnapshot'; readonly reason: string };

export function toErrorData(error: KvError): KvErrorData {
  if (error instanceof CompactedError) return { code: error.code, requestedRevision: error.requestedRevision, compactRevision: error.compactRevision };
  if (error instanceof FutureRevisionError) return { code: error.code, requestedRevision: error.requestedRevision, currentRevision: error.currentRevision };
  if (error instanceof DuplicateKeyInTxnError) return { code: error.code, key: error.key };
  if (error instanceof LeaseNotFoundError || error instanceof LeaseExistsError) return { code: error.code, leaseId: error.leaseId };
  if (error instanceof InvalidRequestError || error instanceof MalformedCommandError || error instanceof MalformedSnapshotError) {
    return { code: error.code, reason: error.reason };
  }
  throw new KvInvariantError(`unknown kv error class ${error.name}`);
}

export function fromErrorData(data: KvErrorData): KvError {
  switch (data.code) {
    case 'Compacted':
      return new CompactedError(data.requestedRevision, data.compactRevision);
    case 'FutureRevision':
      return new FutureRevisionError(data.requestedRevision, data.currentRevision);
    case 'DuplicateKeyInTxn':
      return new DuplicateKeyInTxnError(data.key);
    case 'LeaseNotFound':
      return new LeaseNotFoundError(data.leaseId);
    case 'LeaseExists':
      return new LeaseExistsError(data.leaseId);
    case 'InvalidRequest':
      return new InvalidRequestError(data.reason);
    case 'MalformedCommand':
      return new MalformedCommandError(data.reason);
    case 'MalformedSnapshot':
      return new MalformedSnapshotError(data.reason);
  }
}
