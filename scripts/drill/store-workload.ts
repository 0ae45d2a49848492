import { performance } from 'node:perf_hooks';
import type { StoreClient } from '../../raft/client/store-client.js';
import type { KvOperation } from '../../raft/sim/history.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Keys of the store workload; the drill reads them back at the end. */
export const LIN_PREFIX = 'drill/lin/';
export const ACK_PREFIX = 'drill/ack/';

/** What the store workload recorded, all times in performance.now() milliseconds. */
export interface StoreWorkloadRecord {
  /** Gets, puts and compare-and-sets on a few shared keys, for the linearizability checker. */
  readonly history: KvOperation[];
  /** Keys written once each (by one client): key → value, when the put was acknowledged. */
  readonly acked: Map<string, string>;
  /** Unacknowledged writes of those keys: they may or may not have taken effect. */
  readonly maybe: Map<string, string[]>;
  /** When each successful write completed, for the unavailability figure. */
  readonly writeSuccessTimes: number[];
  ok: number;
  failed: number;
}

/**
 * Closed-loop clients on the store, as the apiserver uses it: each loops over a linearizable
 * get, a put and a compare-and-set on a few shared keys (recorded for the checker, unknown
 * outcome when the client gave up), and a put of a key of its own that must survive (recorded as
 * acknowledged or not). Keys are namespaced by `runId` so runs never mix.
 */
export class StoreWorkload {
  readonly record: StoreWorkloadRecord = { history: [], acked: new Map(), maybe: new Map(), writeSuccessTimes: [], ok: 0, failed: 0 };
  private running = true;
  private readonly loops: Promise<void>[];

  constructor(
    clients: readonly StoreClient[],
    private readonly runId: string,
    private readonly sharedKeys = 4,
  ) {
    this.loops = clients.map((c, i) => this.loop(c, i + 1));
  }

  linKey(k: number): string {
    return `${LIN_PREFIX}${this.runId}/k${k}`;
  }

  get ackPrefix(): string {
    return `${ACK_PREFIX}${this.runId}/`;
  }

  /** Stops after each client's operation in flight; resolves with the record. */
  async stop(): Promise<StoreWorkloadRecord> {
    this.running = false;
    await Promise.all(this.loops);
    return this.record;
  }

  private async loop(client: StoreClient, clientId: number): Promise<void> {
    const rec = this.record;
    const lastSeen = new Map<string, string | null>();
    let n = 0;
    while (this.running) {
      const k = (n * 7 + clientId) % this.sharedKeys;
      const key = `k${k}`;
      const storeKey = this.linKey(k);
      const kind = n % 4;
      n++;
      const call = performance.now();
      const value = `c${clientId}-${n}`;
      try {
        if (kind === 0) {
          const r = await client.range(storeKey);
          const got = r.kvs[0] ? dec.decode(r.kvs[0].value) : null;
          lastSeen.set(key, got);
          rec.history.push({ clientId, input: { op: 'get', key }, call, return: performance.now(), output: { value: got } });
        } else if (kind === 1) {
          await client.put(storeKey, enc.encode(value));
          rec.writeSuccessTimes.push(performance.now());
          rec.history.push({ clientId, input: { op: 'put', key, value }, call, return: performance.now(), output: { ok: true } });
        } else if (kind === 2) {
          const expected = lastSeen.get(key) ?? null;
          const r = await client.txn({
            compare:
              expected === null
                ? [{ key: storeKey, target: 'createRevision', result: '=', operand: 0 }]
                : [{ key: storeKey, target: 'value', result: '=', operand: enc.encode(expected) }],
            success: [{ t: 'put', key: storeKey, value: enc.encode(value) }],
            failure: [],
          });
          if (r.succeeded) {
            lastSeen.set(key, value);
            rec.writeSuccessTimes.push(performance.now());
          }
          rec.history.push({ clientId, input: { op: 'cas', key, expected, value }, call, return: performance.now(), output: { ok: r.succeeded } });
        } else {
          const own = `${this.ackPrefix}c${clientId}-${n}`;
          try {
            await client.put(own, enc.encode(value));
          } catch (e) {
            rec.maybe.set(own, [value]);
            throw e;
          }
          rec.acked.set(own, value);
          rec.writeSuccessTimes.push(performance.now());
        }
        rec.ok++;
      } catch {
        // Whatever the error, the outcome is unknown to this client: a write may still apply.
        rec.failed++;
        if (kind === 1) rec.history.push({ clientId, input: { op: 'put', key, value }, call, return: null, output: null });
        if (kind === 2) rec.history.push({ clientId, input: { op: 'cas', key, expected: lastSeen.get(key) ?? null, value }, call, return: null, output: null });
        // The client has retried for its whole request timeout already; a short pause keeps a dead cluster from spinning us.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
}

/** Reads back every key under `prefix` (paging), retrying until the store answers. */
export async function readPrefix(client: StoreClient, prefix: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const r = await client.range(prefix, { prefix: true });
  for (const kv of r.kvs) out.set(kv.key, dec.decode(kv.value));
  return out;
}
