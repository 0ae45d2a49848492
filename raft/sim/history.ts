/**
 * The history format the linearizability checker reads. It is plain JSON on purpose: the
 * simulator records histories in virtual time, and histories recorded against real processes
 * (wall-clock or monotonic timestamps) can be written to a file and checked the same way.
 */

/**
 * One client operation as observed by the client that issued it.
 *
 * Real-time order: operation A precedes B iff `A.return < B.call` (strictly). Equal timestamps
 * count as concurrent, which can only make the checker more permissive, never wrongly strict.
 *
 * Unknown outcome: `return` and `output` are both null when the client never learned the
 * outcome (timeout, lost connection, crashed server). Such an operation may have taken effect
 * at any instant after its call, however late, or never; the checker treats its return as
 * +infinity and is free to leave it out. A client error that *proves* the operation did not
 * take effect should instead be dropped from the history before checking.
 */
export interface Operation<I, O> {
  /** Who issued the operation. Informational: it only labels reports. */
  readonly clientId: number;
  readonly input: I;
  /** When the request was sent. Any totally ordered finite numbers (virtual ms in the sim). */
  readonly call: number;
  /** When the response arrived, at or after `call`; null iff the outcome is unknown. */
  readonly return: number | null;
  /** What the response said; null iff the outcome is unknown. */
  readonly output: O | null;
}

/**
 * Key-value operations. `cas` succeeds iff the key's current value equals `expected`, where
 * `expected: null` means "the key is absent". Values are opaque strings; a missing key reads as
 * null.
 */
export type KvInput =
  | { readonly op: 'put'; readonly key: string; readonly value: string }
  | { readonly op: 'get'; readonly key: string }
  | { readonly op: 'cas'; readonly key: string; readonly expected: string | null; readonly value: string }
  | { readonly op: 'delete'; readonly key: string };

/** put and delete → `{ ok: true }`; get → `{ value }`; cas → `{ ok }` (false: not swapped). */
export type KvOutput = { readonly ok: boolean } | { readonly value: string | null };

export type KvOperation = Operation<KvInput, KvOutput>;

/** The history is not in the format above; the message names the offending operation. */
export class MalformedHistoryError extends Error {
  constructor(index: number, problem: string) {
    super(`history operation #${index} is malformed: ${problem}`);
    this.name = 'MalformedHistoryError';
  }
}

/** Checks the timing fields every history shares; the checker calls it on every operation. */
export function assertWellFormed<I, O>(op: Operation<I, O>, index: number): void {
  if (!Number.isFinite(op.call)) throw new MalformedHistoryError(index, 'call is not a finite number');
  if (op.return !== null && !(op.return >= op.call)) {
    throw new MalformedHistoryError(index, `return ${op.return} is not a number at or after call ${op.call}`);
  }
  if ((op.return === null) !== (op.output === null)) {
    throw new MalformedHistoryError(index, 'return and output must be null together (outcome unknown)');
  }
}

/**
 * Validates a parsed JSON value (e.g. `JSON.parse` of a recorded history file) as a key-value
 * history, so that the checker never sees a shape it does not understand.
 */
export function decodeKvHistory(json: unknown): KvOperation[] {
  if (!Array.isArray(json)) throw new MalformedHistoryError(-1, 'the history is not an array');
  return json.map((raw: unknown, index) => {
    const fail = (problem: string): never => {
      throw new MalformedHistoryError(index, problem);
    };
    if (!isRecord(raw)) return fail('not an object');
    const { clientId, input, call, output } = raw;
    const ret = raw.return;
    if (typeof clientId !== 'number') return fail('clientId is not a number');
    if (typeof call !== 'number') return fail('call is not a number');
    if (ret !== null && typeof ret !== 'number') return fail('return is neither a number nor null');
    const kvInput = decodeInput(input) ?? fail('input is not a put, get, cas or delete');
    const kvOutput = output === null ? null : (decodeOutput(kvInput, output) ?? fail(`output does not fit a ${kvInput.op}`));
    const op: KvOperation = { clientId, input: kvInput, call, return: ret, output: kvOutput };
    assertWellFormed(op, index);
    return op;
  });
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function isValue(x: unknown): x is string | null {
  return x === null || typeof x === 'string';
}

function decodeInput(x: unknown): KvInput | undefined {
  if (!isRecord(x) || typeof x.key !== 'string') return undefined;
  const key = x.key;
  const value = x.value;
  const expected = x.expected;
  switch (x.op) {
    case 'put':
      return typeof value === 'string' ? { op: 'put', key, value } : undefined;
    case 'get':
      return { op: 'get', key };
    case 'cas':
      return typeof value === 'string' && isValue(expected) ? { op: 'cas', key, expected, value } : undefined;
    case 'delete':
      return { op: 'delete', key };
    default:
      return undefined;
  }
}

function decodeOutput(input: KvInput, x: unknown): KvOutput | undefined {
  if (!isRecord(x)) return undefined;
  switch (input.op) {
    case 'get':
      return isValue(x.value) ? { value: x.value } : undefined;
    case 'cas':
      return typeof x.ok === 'boolean' ? { ok: x.ok } : undefined;
    case 'put':
    case 'delete':
      return x.ok === true ? { ok: true } : undefined;
  }
}
