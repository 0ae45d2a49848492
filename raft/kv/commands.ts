import { Packr } from 'msgpackr';
import { MalformedCommandError } from './errors.js';
import { defined, type Fields, Shape } from './shape.js';
import type { Compare, CompareTarget, DeleteOp, PutOp, RangeOp, TxnOp, TxnRequest } from './types.js';
import { TXN_OPS_MAX } from './types.js';

/**
 * The replicated command format: what a Raft log entry of the key-value store holds.
 *
 * A command is a msgpack map tagged by `t`:
 *
 *     put             {t, key, value (bin), lease?, prevKv?}
 *     delete          {t, key, prefix? | rangeEnd?, prevKv?}
 *     txn             {t, compare: [{key, target, result, operand}], success: [op], failure: [op]}
 *                       op: {t: 'put' | 'delete' | 'range', ...the fields of that request}
 *     compact         {t, revision}
 *     leaseGrant      {t, id? (absent or 0: the store picks), ttlSeconds}
 *     leaseRevoke     {t, id}
 *     leaseKeepAlive  {t, id}
 *
 * and each may carry `requestId` (a string of at most REQUEST_ID_LENGTH_MAX units): a retried
 * command with a seen id is answered from the dedup table instead of applied again (apply.ts).
 * Field names are the TypeScript ones; an absent optional field is left out, never nil.
 *
 * `decodeCommand` is the boundary: bytes in, a typed command out, or MalformedCommandError for
 * anything else (not msgpack, trailing bytes, an unknown tag or field, a field of the wrong
 * type, more than TXN_OPS_MAX ops or compares). Rules that depend on the store's state (does
 * the lease exist, is the revision compacted, are txn keys distinct) are the store's to check.
 */

/** The most bytes one command may have: etcd's 1.5 MiB request limit plus framing room. */
export const COMMAND_BYTES_MAX = 2 * 1024 * 1024;
export const REQUEST_ID_LENGTH_MAX = 256;

interface CommandMeta {
  /** Names this command for deduplication of retries; see request-dedup.ts. */
  readonly requestId?: string;
}

export type PutCommand = CommandMeta & PutOp;
export type DeleteCommand = CommandMeta & DeleteOp;
export type TxnCommand = CommandMeta & { readonly t: 'txn' } & TxnRequest;
export type CompactCommand = CommandMeta & { readonly t: 'compact'; readonly revision: number };
export type LeaseGrantCommand = CommandMeta & { readonly t: 'leaseGrant'; readonly id?: number; readonly ttlSeconds: number };
export type LeaseRevokeCommand = CommandMeta & { readonly t: 'leaseRevoke'; readonly id: number };
export type LeaseKeepAliveCommand = CommandMeta & { readonly t: 'leaseKeepAlive'; readonly id: number };

export type Command = PutCommand | DeleteCommand | TxnCommand | CompactCommand | LeaseGrantCommand | LeaseRevokeCommand | LeaseKeepAliveCommand;

export type CommandTag = Command['t'];

const packr = new Packr({ useRecords: false, moreTypes: false, copyBuffers: true });
/** Decodes byte fields as views into the command's bytes instead of copies. */
const sharingPackr = new Packr({ useRecords: false, moreTypes: false });

export function encodeCommand(command: Command): Uint8Array {
  return packr.pack(command);
}

export interface DecodeCommandOptions {
  /**
   * Byte fields (values) are views into `bytes` rather than copies. For bytes that are never
   * changed and are worth keeping whole as long as a value lives: a Raft entry's own data buffer
   * (the store then holds each value once, shared with the log entry it came in).
   */
  readonly shareBytes?: boolean;
}

/** Decodes and validates command bytes; throws MalformedCommandError, never anything else. */
export function decodeCommand(bytes: Uint8Array, options: DecodeCommandOptions = {}): Command {
  if (!(bytes instanceof Uint8Array)) throw new MalformedCommandError('command data must be bytes');
  if (bytes.byteLength > COMMAND_BYTES_MAX) throw new MalformedCommandError(`command of ${bytes.byteLength} bytes exceeds ${COMMAND_BYTES_MAX}`);
  let raw: unknown;
  try {
    raw = (options.shareBytes === true ? sharingPackr : packr).unpack(bytes);
  } catch (err) {
    throw new MalformedCommandError(`not msgpack: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseCommand(raw);
}

const shape = new Shape((reason) => {
  throw new MalformedCommandError(reason);
});

const COMMAND_TAGS: readonly CommandTag[] = ['put', 'delete', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseKeepAlive'];
const COMPARE_TARGETS: readonly CompareTarget[] = ['value', 'version', 'createRevision', 'modRevision', 'lease'];
const COMPARE_RESULTS = ['=', '!=', '<', '>'] as const;

/** Validates an already-unpacked command. */
export function parseCommand(raw: unknown): Command {
  const head = shape.map(raw, 'command', [
    't',
    'requestId',
    'key',
    'value',
    'lease',
    'prevKv',
    'prefix',
    'rangeEnd',
    'compare',
    'success',
    'failure',
    'revision',
    'id',
    'ttlSeconds',
  ]);
  const t = shape.oneOf(shape.field(head, 't'), 'command.t', COMMAND_TAGS);
  const requestId = shape.optString(head, 'requestId', 'command', REQUEST_ID_LENGTH_MAX);
  const meta = defined({ requestId });
  switch (t) {
    case 'put':
      return { ...parsePut(shape.map(raw, 'put', ['t', 'requestId', 'key', 'value', 'lease', 'prevKv']), 'put'), ...meta };
    case 'delete':
      return { ...parseDelete(shape.map(raw, 'delete', ['t', 'requestId', 'key', 'prefix', 'rangeEnd', 'prevKv']), 'delete'), ...meta };
    case 'txn': {
      const m = shape.map(raw, 'txn', ['t', 'requestId', 'compare', 'success', 'failure']);
      return {
        t,
        compare: shape.array(shape.field(m, 'compare'), 'txn.compare', TXN_OPS_MAX).map((c, i) => parseCompare(c, `txn.compare[${i}]`)),
        success: parseOps(shape.field(m, 'success'), 'txn.success'),
        failure: parseOps(shape.field(m, 'failure'), 'txn.failure'),
        ...meta,
      };
    }
    case 'compact': {
      const m = shape.map(raw, 'compact', ['t', 'requestId', 'revision']);
      return { t, revision: shape.int(shape.field(m, 'revision'), 'compact.revision'), ...meta };
    }
    case 'leaseGrant': {
      const m = shape.map(raw, 'leaseGrant', ['t', 'requestId', 'id', 'ttlSeconds']);
      return {
        t,
        ttlSeconds: shape.int(shape.field(m, 'ttlSeconds'), 'leaseGrant.ttlSeconds'),
        ...defined({ id: shape.optInt(m, 'id', 'leaseGrant') }),
        ...meta,
      };
    }
    case 'leaseRevoke':
    case 'leaseKeepAlive': {
      const m = shape.map(raw, t, ['t', 'requestId', 'id']);
      return { t, id: shape.int(shape.field(m, 'id'), `${t}.id`, 1), ...meta };
    }
  }
}

function parseOps(raw: unknown, path: string): TxnOp[] {
  return shape.array(raw, path, TXN_OPS_MAX).map((op, i) => parseOp(op, `${path}[${i}]`));
}

function parseOp(raw: unknown, path: string): TxnOp {
  const head = shape.map(raw, path, ['t', 'key', 'value', 'lease', 'prevKv', 'prefix', 'rangeEnd', 'limit', 'revision', 'countOnly', 'keysOnly']);
  const t = shape.oneOf(shape.field(head, 't'), `${path}.t`, ['put', 'delete', 'range'] as const);
  switch (t) {
    case 'put':
      return parsePut(shape.map(raw, path, ['t', 'key', 'value', 'lease', 'prevKv']), path);
    case 'delete':
      return parseDelete(shape.map(raw, path, ['t', 'key', 'prefix', 'rangeEnd', 'prevKv']), path);
    case 'range':
      return parseRange(head, path);
  }
}

function parsePut(m: Fields, path: string): PutOp {
  return {
    t: 'put',
    key: shape.string(shape.field(m, 'key'), `${path}.key`),
    value: shape.bytes(shape.field(m, 'value'), `${path}.value`),
    ...defined({ lease: shape.optInt(m, 'lease', path), prevKv: shape.optBool(m, 'prevKv', path) }),
  };
}

function parseDelete(m: Fields, path: string): DeleteOp {
  return {
    t: 'delete',
    key: shape.string(shape.field(m, 'key'), `${path}.key`),
    ...defined({ prefix: shape.optBool(m, 'prefix', path), rangeEnd: shape.optString(m, 'rangeEnd', path), prevKv: shape.optBool(m, 'prevKv', path) }),
  };
}

function parseRange(m: Fields, path: string): RangeOp {
  return {
    t: 'range',
    key: shape.string(shape.field(m, 'key'), `${path}.key`),
    ...defined({
      prefix: shape.optBool(m, 'prefix', path),
      rangeEnd: shape.optString(m, 'rangeEnd', path),
      limit: shape.optInt(m, 'limit', path),
      revision: shape.optInt(m, 'revision', path),
      countOnly: shape.optBool(m, 'countOnly', path),
      keysOnly: shape.optBool(m, 'keysOnly', path),
    }),
  };
}

function parseCompare(raw: unknown, path: string): Compare {
  const m = shape.map(raw, path, ['key', 'target', 'result', 'operand']);
  const key = shape.string(shape.field(m, 'key'), `${path}.key`);
  const target = shape.oneOf(shape.field(m, 'target'), `${path}.target`, COMPARE_TARGETS);
  const result = shape.oneOf(shape.field(m, 'result'), `${path}.result`, COMPARE_RESULTS);
  const operand = shape.field(m, 'operand');
  if (target === 'value') return { key, target, result, operand: shape.bytes(operand, `${path}.operand`) };
  return { key, target, result, operand: shape.int(operand, `${path}.operand`) };
}
