import type { ApplyOutcome, CommandResult } from './command-results.js';
import { type Command, type DecodeCommandOptions, decodeCommand } from './commands.js';
import { KvError } from './errors.js';
import type { MvccStore } from './mvcc-store.js';

/**
 * Applying replicated commands to the store: what the Raft driver calls for each committed
 * entry, in log order, on every replica.
 *
 * - Deterministic: the outcome depends only on the store's state and the command.
 * - Never throws for a bad command: a request error (KvError: malformed bytes, a missing lease,
 *   a compacted revision...) is returned as `{ok: false, error}` and changed nothing, the same
 *   on every replica. Anything else thrown is a bug (KvInvariantError) and should stop the
 *   replica.
 * - At most once per request id: a command whose `requestId` is in the store's dedup table is
 *   not applied; the first outcome is returned with `duplicate: true`. Outcomes of commands
 *   with a request id are remembered, errors included (a retry must see what the first attempt
 *   saw, not a second attempt's luck). The bound is request-dedup.ts's.
 */
export function applyCommand(store: MvccStore, command: Command): ApplyOutcome {
  const requestId = command.requestId;
  if (requestId !== undefined) {
    const seen = store.requests.get(requestId);
    if (seen !== undefined) return { ...seen, duplicate: true };
  }
  let outcome: ApplyOutcome;
  try {
    outcome = { ok: true, result: execute(store, command), duplicate: false };
  } catch (err) {
    if (!(err instanceof KvError)) throw err;
    outcome = { ok: false, error: err, duplicate: false };
  }
  if (requestId !== undefined) store.requests.remember(requestId, outcome);
  return outcome;
}

/**
 * Decodes and applies a log entry's data. Malformed bytes give `{ok: false, error:
 * MalformedCommandError}` and change nothing (not even the dedup table: without a decoded
 * command there is no request id to remember). With `shareBytes`, stored values are views into
 * `data` (see DecodeCommandOptions): only for data that is never changed and not a slice of a
 * larger buffer.
 */
export function applyEncoded(store: MvccStore, data: Uint8Array, options: DecodeCommandOptions = {}): ApplyOutcome {
  let command: Command;
  try {
    command = decodeCommand(data, options);
  } catch (err) {
    if (!(err instanceof KvError)) throw err;
    return { ok: false, error: err, duplicate: false };
  }
  return applyCommand(store, command);
}

function execute(store: MvccStore, command: Command): CommandResult {
  switch (command.t) {
    case 'put': {
      const options = { ...(command.lease !== undefined && { lease: command.lease }), ...(command.prevKv !== undefined && { prevKv: command.prevKv }) };
      return { t: 'put', ...store.put(command.key, command.value, options) };
    }
    case 'delete': {
      const { t: _t, requestId: _id, key, ...options } = command;
      return { t: 'delete', ...store.deleteRange(key, options) };
    }
    case 'txn':
      return { t: 'txn', ...store.txn(command) };
    case 'compact':
      store.compact(command.revision);
      return { t: 'compact', revision: store.revision, compactRevision: store.compactRevision };
    case 'leaseGrant':
      return { t: 'leaseGrant', ...store.leaseGrant(command.id ?? 0, command.ttlSeconds), revision: store.revision };
    case 'leaseRevoke':
      return { t: 'leaseRevoke', id: command.id, ...store.leaseRevoke(command.id) };
    case 'leaseKeepAlive':
      return { t: 'leaseKeepAlive', ...store.leaseKeepAlive(command.id), revision: store.revision };
  }
}
