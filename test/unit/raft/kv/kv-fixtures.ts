import fc from 'fast-check';
import type { Command } from '../../../../raft/kv/commands.js';
import type { KeyValue, TxnOp } from '../../../../raft/kv/types.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string: test values are readable text. */
export const b = (text: string): Uint8Array => encoder.encode(text);

/** The text of a value. */
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);

/** A kv as a compact, comparable summary. */
export const summary = (kv: KeyValue | undefined): string | undefined =>
  kv === undefined ? undefined : `${kv.key}=${text(kv.value)} c${kv.createRevision} m${kv.modRevision} v${kv.version} l${kv.lease}`;

/** A small key space, so random commands collide on keys and prefixes. */
export const keyArb = fc.constantFrom('a', 'a/1', 'a/2', 'a/3', 'b', 'b/1', 'b/x', 'c');
export const prefixArb = fc.constantFrom('', 'a', 'a/', 'b/', 'c', 'z');
export const valueArb = fc.constantFrom('x', 'y', 'z', '').map(b);

export const opArb: fc.Arbitrary<TxnOp> = fc.oneof(
  fc.record({ t: fc.constant('put' as const), key: keyArb, value: valueArb, prevKv: fc.boolean() }),
  fc.record({ t: fc.constant('delete' as const), key: prefixArb, prefix: fc.constant(true), prevKv: fc.boolean() }),
  fc.record({ t: fc.constant('delete' as const), key: keyArb }),
  fc.record({ t: fc.constant('range' as const), key: prefixArb, prefix: fc.constant(true), limit: fc.nat(3) }),
);

/**
 * Random commands over the small key space: puts (some on leases 1-3), deletes, txns comparing
 * versions and values, compactions at small revisions, lease grants and revokes, and repeats of
 * a few request ids. Many fail (missing leases, compacted revisions, duplicate keys): failures
 * must be just as deterministic as successes.
 */
export const commandArb: fc.Arbitrary<Command> = fc
  .oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant('put' as const), key: keyArb, value: valueArb, lease: fc.constantFrom(0, 0, 1, 2) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('delete' as const), key: keyArb }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('delete' as const), key: prefixArb, prefix: fc.constant(true), prevKv: fc.boolean() }) },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('txn' as const),
        compare: fc.array(
          fc.oneof(
            fc.record({
              key: keyArb,
              target: fc.constantFrom('version' as const, 'modRevision' as const, 'createRevision' as const, 'lease' as const),
              result: fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const),
              operand: fc.nat(6),
            }),
            fc.record({
              key: keyArb,
              target: fc.constant('value' as const),
              result: fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const),
              operand: valueArb,
            }),
          ),
          { maxLength: 2 },
        ),
        success: fc.array(opArb, { maxLength: 3 }),
        failure: fc.array(opArb, { maxLength: 3 }),
      }),
    },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('compact' as const), revision: fc.nat(12) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('leaseGrant' as const), id: fc.constantFrom(0, 1, 2), ttlSeconds: fc.constantFrom(5, 60) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('leaseRevoke' as const), id: fc.constantFrom(1, 2, 3) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('leaseKeepAlive' as const), id: fc.constantFrom(1, 2, 3) }) },
  )
  .chain((command) =>
    fc
      .oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('r1', 'r2', 'r3', 'r4', 'r5', 'r6') })
      .map((requestId) => (requestId === undefined ? command : { ...command, requestId })),
  );
