import { type KvError, type KvErrorData, fromErrorData, toErrorData } from './errors.js';
import { defined, type Fields, type Shape } from './shape.js';
import type { DeleteResult, KeyValue, PutResult, RangeResult, TxnOpResult, TxnResult } from './types.js';

/**
 * What applying a command produces, and how an outcome travels as data (in a snapshot's dedup
 * table, or to a client). Outcomes are deterministic: every replica gets the same one for the
 * same command at the same point of the log.
 */

export type CommandResult =
  | ({ readonly t: 'put' } & PutResult)
  | ({ readonly t: 'delete' } & DeleteResult)
  | ({ readonly t: 'txn' } & TxnResult)
  /** `revision`: the current revision; `compactRevision`: the new compact revision. */
  | { readonly t: 'compact'; readonly revision: number; readonly compactRevision: number }
  | { readonly t: 'leaseGrant'; readonly id: number; readonly ttlSeconds: number; readonly revision: number }
  /** `revision`: of the deletes of the lease's keys, or the current one if it held none. */
  | { readonly t: 'leaseRevoke'; readonly id: number; readonly deleted: number; readonly revision: number }
  | { readonly t: 'leaseKeepAlive'; readonly id: number; readonly ttlSeconds: number; readonly revision: number };

/**
 * The outcome of one applied command. A request error (`ok: false`) changed nothing. `duplicate`
 * is true when the command's request id had been seen: the outcome is the first attempt's and
 * the command was not applied again.
 */
export type ApplyOutcome =
  | { readonly ok: true; readonly result: CommandResult; readonly duplicate: boolean }
  | { readonly ok: false; readonly error: KvError; readonly duplicate: boolean };

/** An outcome as plain, msgpack-ready data: [1, result] or [0, error data]. */
export type OutcomeData = readonly [1, CommandResult] | readonly [0, KvErrorData];

/**
 * The outcome as data with every map's fields in sorted order, so its msgpack bytes depend only
 * on its content, not on the order the code that built it happened to set fields in.
 */
export function outcomeToData(outcome: ApplyOutcome): OutcomeData {
  return canonical(outcome.ok ? [1, outcome.result] : [0, toErrorData(outcome.error)]) as OutcomeData;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(value).sort()) {
    const field = (value as Record<string, unknown>)[name];
    if (field !== undefined) out[name] = canonical(field);
  }
  return out;
}

/** Validates outcome data (as unpacked from msgpack) with `shape`, whose fail throws. */
export function outcomeFromData(raw: unknown, shape: Shape, path: string): ApplyOutcome {
  const [ok, body] = shape.tuple(raw, path, 2);
  if (ok === 1) return { ok: true, result: parseResult(body, shape, `${path}.result`), duplicate: false };
  if (ok === 0) return { ok: false, error: fromErrorData(parseErrorData(body, shape, `${path}.error`)), duplicate: false };
  return shape.fail(`${path} must start with 1 or 0`);
}

const KV_FIELDS = ['key', 'value', 'createRevision', 'modRevision', 'version', 'lease'];

export function parseKeyValue(raw: unknown, shape: Shape, path: string): KeyValue {
  const m = shape.map(raw, path, KV_FIELDS);
  return {
    key: shape.string(shape.field(m, 'key'), `${path}.key`),
    value: shape.bytes(shape.field(m, 'value'), `${path}.value`),
    createRevision: shape.int(shape.field(m, 'createRevision'), `${path}.createRevision`),
    modRevision: shape.int(shape.field(m, 'modRevision'), `${path}.modRevision`),
    version: shape.int(shape.field(m, 'version'), `${path}.version`),
    lease: shape.int(shape.field(m, 'lease'), `${path}.lease`),
  };
}

function optKv(m: Fields, name: string, shape: Shape, path: string): KeyValue | undefined {
  const raw = shape.field(m, name);
  return raw === undefined ? undefined : parseKeyValue(raw, shape, `${path}.${name}`);
}

function kvList(raw: unknown, shape: Shape, path: string): KeyValue[] {
  return shape.array(raw, path).map((kv, i) => parseKeyValue(kv, shape, `${path}[${i}]`));
}

function int(m: Fields, name: string, shape: Shape, path: string): number {
  return shape.int(shape.field(m, name), `${path}.${name}`);
}

function parsePutResult(m: Fields, shape: Shape, path: string): PutResult {
  return { revision: int(m, 'revision', shape, path), ...defined({ prevKv: optKv(m, 'prevKv', shape, path) }) };
}

function parseDeleteResult(m: Fields, shape: Shape, path: string): DeleteResult {
  const prevKvs = shape.field(m, 'prevKvs');
  return {
    revision: int(m, 'revision', shape, path),
    deleted: int(m, 'deleted', shape, path),
    ...defined({ prevKvs: prevKvs === undefined ? undefined : kvList(prevKvs, shape, `${path}.prevKvs`) }),
  };
}

function parseRangeResult(m: Fields, shape: Shape, path: string): RangeResult {
  return {
    kvs: kvList(shape.field(m, 'kvs'), shape, `${path}.kvs`),
    count: int(m, 'count', shape, path),
    more: shape.bool(shape.field(m, 'more'), `${path}.more`),
    revision: int(m, 'revision', shape, path),
  };
}

function parseTxnOpResult(raw: unknown, shape: Shape, path: string): TxnOpResult {
  const m = shape.map(raw, path, ['t', 'revision', 'prevKv', 'deleted', 'prevKvs', 'kvs', 'count', 'more']);
  const t = shape.oneOf(shape.field(m, 't'), `${path}.t`, ['put', 'delete', 'range'] as const);
  if (t === 'put') return { t, ...parsePutResult(m, shape, path) };
  if (t === 'delete') return { t, ...parseDeleteResult(m, shape, path) };
  return { t, ...parseRangeResult(m, shape, path) };
}

function parseTxnResult(m: Fields, shape: Shape, path: string): TxnResult {
  return {
    succeeded: shape.bool(shape.field(m, 'succeeded'), `${path}.succeeded`),
    revision: int(m, 'revision', shape, path),
    results: shape.array(shape.field(m, 'results'), `${path}.results`).map((r, i) => parseTxnOpResult(r, shape, `${path}.results[${i}]`)),
  };
}

export function parseResult(raw: unknown, shape: Shape, path: string): CommandResult {
  const fields = ['t', 'revision', 'prevKv', 'deleted', 'prevKvs', 'succeeded', 'results', 'compactRevision', 'id', 'ttlSeconds'];
  const m = shape.map(raw, path, fields);
  const t = shape.oneOf(shape.field(m, 't'), `${path}.t`, ['put', 'delete', 'txn', 'compact', 'leaseGrant', 'leaseRevoke', 'leaseKeepAlive'] as const);
  switch (t) {
    case 'put':
      return { t, ...parsePutResult(m, shape, path) };
    case 'delete':
      return { t, ...parseDeleteResult(m, shape, path) };
    case 'txn':
      return { t, ...parseTxnResult(m, shape, path) };
    case 'compact':
      return { t, revision: int(m, 'revision', shape, path), compactRevision: int(m, 'compactRevision', shape, path) };
    case 'leaseGrant':
    case 'leaseKeepAlive':
      return { t, id: int(m, 'id', shape, path), ttlSeconds: int(m, 'ttlSeconds', shape, path), revision: int(m, 'revision', shape, path) };
    case 'leaseRevoke':
      return { t, id: int(m, 'id', shape, path), deleted: int(m, 'deleted', shape, path), revision: int(m, 'revision', shape, path) };
  }
}

function parseErrorData(raw: unknown, shape: Shape, path: string): KvErrorData {
  const m = shape.map(raw, path, ['code', 'requestedRevision', 'compactRevision', 'currentRevision', 'key', 'leaseId', 'reason']);
  const code = shape.oneOf(shape.field(m, 'code'), `${path}.code`, [
    'Compacted',
    'FutureRevision',
    'DuplicateKeyInTxn',
    'LeaseNotFound',
    'LeaseExists',
    'InvalidRequest',
    'MalformedCommand',
    'MalformedSnapshot',
  ] as const);
  switch (code) {
    case 'Compacted':
      return { code, requestedRevision: int(m, 'requestedRevision', shape, path), compactRevision: int(m, 'compactRevision', shape, path) };
    case 'FutureRevision':
      return { code, requestedRevision: int(m, 'requestedRevision', shape, path), currentRevision: int(m, 'currentRevision', shape, path) };
    case 'DuplicateKeyInTxn':
      return { code, key: shape.string(shape.field(m, 'key'), `${path}.key`) };
    case 'LeaseNotFound':
    case 'LeaseExists':
      return { code, leaseId: int(m, 'leaseId', shape, path) };
    default:
      return { code, reason: shape.string(shape.field(m, 'reason'), `${path}.reason`) };
  }
}
