import { Etcd3, type IOptions } from 'etcd3';
import { WsStoreClient } from '../../raft/client/ws-store-client.js';

/**
 * What the benchmark asks of a store, so that etcd and picokube go through the same harness.
 * `get` is linearizable (it sees every put acknowledged before it started); a rejected promise
 * is a failed operation, which the workload counts and retries.
 */
export interface KvAdapter {
  put(key: string, value: Uint8Array): Promise<void>;
  get(key: string): Promise<Uint8Array | undefined>;
  close(): Promise<void>;
}

export interface AdapterOptions {
  /** How long one attempt on one member may take before the client gives up on it. */
  readonly attemptTimeoutMs: number;
}

/**
 * etcd through the etcd3 npm client (gRPC). It spreads calls over every host, and a follower
 * forwards a write to its leader, as with etcd's own Go client. Its default fault handling
 * opens a 5 s circuit breaker on a host after 3 failures, deadline misses and "no leader"
 * answers included: during an election that shuts out the live members too, and the gap
 * measured would be the library's 5 s rather than etcd's. So no breaker here: a call to the
 * dead member fails fast (connection refused) and the default global policy (3 attempts, each
 * on the next host) moves on.
 */
export function etcdAdapter(endpoints: readonly string[], options: AdapterOptions): KvAdapter {
  const client = new Etcd3({
    hosts: endpoints.map((e) => `http://${e}`),
    dialTimeout: options.attemptTimeoutMs,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + options.attemptTimeoutMs }),
    faultHandling: { host: () => passThrough },
  });
  return {
    async put(key, value) {
      await client
        .put(key)
        .value(Buffer.from(value.buffer, value.byteOffset, value.byteLength))
        .exec();
    },
    async get(key) {
      const v = await client.get(key).buffer();
      return v ?? undefined;
    },
    async close() {
      client.close();
    },
  };
}

type HostPolicy = ReturnType<NonNullable<NonNullable<IOptions['faultHandling']>['host']>>;

/** A host policy that runs every call (etcd3 only calls `execute` on it; cockatiel's noop, without depending on cockatiel). */
const passThrough = {
  execute: <T>(fn: (ctx: { signal: AbortSignal; attempt: number }) => Promise<T> | T) =>
    Promise.resolve(fn({ signal: new AbortController().signal, attempt: 1 })),
} as unknown as HostPolicy;

/** picokube's store through its leader-aware WebSocket client. */
export function picokubeAdapter(endpoints: readonly string[], options: AdapterOptions): KvAdapter {
  const client = new WsStoreClient({ endpoints, attemptTimeoutMs: options.attemptTimeoutMs, requestTimeoutMs: Math.max(options.attemptTimeoutMs * 3, 3000) });
  return {
    async put(key, value) {
      await client.put(key, value);
    },
    async get(key) {
      const r = await client.range(key);
      return r.kvs[0]?.value;
    },
    async close() {
      await client.close();
    },
  };
}
