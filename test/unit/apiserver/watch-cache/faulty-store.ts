import type { MemoryStoreClient } from '../../../../raft/client/memory-store-client.js';
import type { StoreClient, StoreWatch, StoreWatchOptions, WatchBatch } from '../../../../raft/client/store-client.js';
import type { KeyRangeOptions, RangeOptions, TxnRequest } from '../../../../raft/kv/types.js';

/**
 * The memory store client with two faults a test can inject into its watches: fail every open
 * watch with an error (what the cache sees when the store watch throws), and hold new watches
 * at the gate until released (so writes and a compaction can happen between the cache's list
 * and its watch). Everything else goes straight to the memory client.
 */
export class FaultyStore implements StoreClient {
  private readonly open = new Set<FaultyWatch>();
  private gate: Promise<void> = Promise.resolve();
  /** Store watches started through this wrapper. */
  watchesStarted = 0;

  constructor(readonly inner: MemoryStoreClient) {}

  range(key: string, options?: RangeOptions & { readonly serializable?: boolean }) {
    return this.inner.range(key, options);
  }
  put(key: string, value: Uint8Array, options?: { readonly lease?: number; readonly prevKv?: boolean }) {
    return this.inner.put(key, value, options);
  }
  delete(key: string, options?: KeyRangeOptions & { readonly prevKv?: boolean }) {
    return this.inner.delete(key, options);
  }
  txn(request: TxnRequest) {
    return this.inner.txn(request);
  }
  compact(revision: number) {
    return this.inner.compact(revision);
  }
  leaseGrant(ttlSeconds: number, id?: number) {
    return this.inner.leaseGrant(ttlSeconds, id);
  }
  leaseKeepAlive(id: number) {
    return this.inner.leaseKeepAlive(id);
  }
  leaseRevoke(id: number) {
    return this.inner.leaseRevoke(id);
  }
  status() {
    return this.inner.status();
  }
  close() {
    return this.inner.close();
  }

  watch(key: string, options: StoreWatchOptions = {}): StoreWatch {
    this.watchesStarted++;
    const w = new FaultyWatch(
      this.gate,
      () => this.inner.watch(key, options),
      () => this.open.delete(w),
    );
    this.open.add(w);
    return w;
  }

  /** Every open watch throws `e` from its iteration. */
  failWatches(e: Error): void {
    for (const w of [...this.open]) w.fail(e);
  }

  /** Watches started from now on wait until the returned function is called. */
  holdWatches(): () => void {
    let release = (): void => {};
    this.gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    return () => {
      this.gate = Promise.resolve();
      release();
    };
  }
}

class FaultyWatch implements StoreWatch {
  private inner: StoreWatch | undefined;
  private failure: Error | undefined;
  private cancelled = false;

  constructor(
    private readonly gate: Promise<void>,
    private readonly open: () => StoreWatch,
    private readonly forget: () => void,
  ) {}

  fail(e: Error): void {
    this.failure = e;
    this.inner?.cancel();
  }

  cancel(): void {
    this.cancelled = true;
    this.forget();
    this.inner?.cancel();
  }

  requestProgress(): void {
    this.inner?.requestProgress();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    await this.gate;
    if (this.failure !== undefined) throw this.failure;
    if (this.cancelled) return;
    this.inner = this.open();
    try {
      for await (const batch of this.inner) {
        if (this.failure !== undefined) break;
        yield batch;
      }
      if (this.failure !== undefined) throw this.failure;
    } finally {
      this.forget();
    }
  }
}
