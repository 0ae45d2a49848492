import type { Logger } from 'pino';
import type { StoreClient } from '../../raft/client/store-client.js';

/**
 * Store compaction as kube-apiserver does it (`storage/etcd3/compact.go`): every interval
 * (5 minutes by default), compact away the history older than the revision seen one interval
 * ago, so watches and continue tokens can go back about one interval and no further (410 Gone
 * beyond). Several apiservers coordinate through one key: each round is a txn that succeeds only
 * for the apiserver that saw the key's latest version, so exactly one of them compacts.
 */
export const COMPACT_REV_KEY = 'compact_rev_key';

export interface CompactorOptions {
  readonly store: StoreClient;
  readonly logger: Logger;
  readonly intervalMs: number;
}

export class Compactor {
  private readonly options: CompactorOptions;
  private timer: NodeJS.Timeout | undefined;
  /** The key's version this apiserver last saw, and the store revision at that moment. */
  private lastVersion = 0;
  private lastRevision = 0;
  private stopped = false;

  constructor(options: CompactorOptions) {
    this.options = options;
  }

  start(): void {
    if (this.options.intervalMs <= 0 || this.timer) return;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.round().finally(() => this.schedule());
    }, this.options.intervalMs);
    this.timer.unref();
  }

  /** One round: claim the round by version, then compact to the revision of the previous round. */
  async round(): Promise<void> {
    const { store, logger } = this.options;
    try {
      const result = await store.txn({
        compare: [{ key: COMPACT_REV_KEY, target: 'version', result: '=', operand: this.lastVersion }],
        success: [{ t: 'put', key: COMPACT_REV_KEY, value: Buffer.from(String(this.lastRevision)) }],
        failure: [{ t: 'range', key: COMPACT_REV_KEY }],
      });
      const compactTo = this.lastRevision;
      if (result.succeeded) {
        this.lastVersion += 1;
        this.lastRevision = result.revision;
        if (compactTo > 0) {
          await store.compact(compactTo);
          logger.info({ revision: compactTo }, 'compacted the store history');
        }
        return;
      }
      // Another apiserver compacted this round; follow its version and revision.
      const seen = result.results[0];
      const kv = seen?.t === 'range' ? seen.kvs[0] : undefined;
      this.lastVersion = kv?.version ?? 0;
      this.lastRevision = result.revision;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'Compacted') return; // someone compacted further already
      logger.warn({ err: (err as Error).message }, 'store compaction round failed; trying again next interval');
    }
  }
}
