import type { StoreClient } from '../../raft/client/store-client.js';
import { StoreError } from '../../raft/client/store-client.js';
import type { ResourceDef } from '../registry/types.js';

/**
 * Store leases for kinds whose objects expire (`ResourceDef.ttlSeconds`: Events), as
 * kube-apiserver's etcd3 leaseManager does for `--event-ttl`: every write of such an object is
 * attached to a store lease, so the store deletes the key (and watchers see DELETED) once the TTL
 * has passed since the object's last write.
 *
 * Leases are shared, not one per write: a lease granted for TTL `t` lives `t + reuse` seconds and
 * is handed to every write of the next `reuse` seconds (kube: reuse = 5% of the TTL, at most 60 s;
 * one lease a minute for the default hour). So an object lives at least `t` and at most
 * `t + reuse` seconds after its last write.
 */

/** kube-apiserver's --event-ttl default: one hour. */
export const EVENT_TTL_SECONDS_DEFAULT = 3600;
const REUSE_FRACTION = 0.05;
const REUSE_SECONDS_MAX = 60;

/** What a put carries: the lease, or nothing for kinds that do not expire. */
export type LeaseOption = { readonly lease: number } | Record<string, never>;

export interface ObjectLeasesOptions {
  readonly store: StoreClient;
  /** The apiserver's clock; the lease deadlines themselves run on the store leader's clock. */
  readonly nowMs: () => number;
  /** Replaces `ttlSeconds` of every kind that has one (the apiserver's --event-ttl). */
  readonly ttlSecondsOverride?: number | undefined;
}

interface Granted {
  readonly id: number;
  readonly expiresAtMs: number;
}

export class ObjectLeases {
  private readonly store: StoreClient;
  private readonly nowMs: () => number;
  private readonly ttlOverride: number | undefined;
  /** The lease being handed out, by TTL. */
  private readonly current = new Map<number, Granted>();
  /** A grant in flight, by TTL: concurrent writes wait for it rather than each granting one. */
  private readonly granting = new Map<number, Promise<Granted>>();

  constructor(options: ObjectLeasesOptions) {
    this.store = options.store;
    this.nowMs = options.nowMs;
    this.ttlOverride = options.ttlSecondsOverride;
  }

  /** The TTL objects of `def` live after their last write, or undefined when they do not expire. */
  ttlSecondsOf(def: ResourceDef): number | undefined {
    if (def.ttlSeconds === undefined) return undefined;
    return this.ttlOverride ?? def.ttlSeconds;
  }

  /**
   * Runs one write with the lease its kind needs (`{}` for kinds without a TTL). Should the
   * store no longer know the lease (revoked from outside), the write is retried once with a fresh one.
   */
  async write<T>(def: ResourceDef, put: (lease: LeaseOption) => Promise<T>): Promise<T> {
    const ttl = this.ttlSecondsOf(def);
    if (ttl === undefined) return put({});
    const lease = await this.leaseFor(ttl);
    try {
      return await put({ lease: lease.id });
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'LeaseNotFound')) throw err;
      if (this.current.get(ttl) === lease) this.current.delete(ttl);
      return put({ lease: (await this.leaseFor(ttl)).id });
    }
  }

  /** kube's GetLease: reuse the current lease while it still outlives a fresh TTL by less than the reuse window. */
  private async leaseFor(ttlSeconds: number): Promise<Granted> {
    const reuseSeconds = Math.min(Math.floor(ttlSeconds * REUSE_FRACTION), REUSE_SECONDS_MAX);
    const now = this.nowMs();
    const held = this.current.get(ttlSeconds);
    if (held && now + ttlSeconds * 1000 < held.expiresAtMs && now + (ttlSeconds + reuseSeconds) * 1000 >= held.expiresAtMs) return held;
    const inFlight = this.granting.get(ttlSeconds);
    if (inFlight) return inFlight;
    const grant = (async (): Promise<Granted> => {
      try {
        const granted = await this.store.leaseGrant(ttlSeconds + reuseSeconds);
        const lease = { id: granted.id, expiresAtMs: now + granted.ttlSeconds * 1000 };
        this.current.set(ttlSeconds, lease);
        return lease;
      } finally {
        this.granting.delete(ttlSeconds);
      }
    })();
    this.granting.set(ttlSeconds, grant);
    return grant;
  }
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * `--event-ttl` as kube takes it, a Go duration (`1h0m0s`, `90s`, `2m30s`; a bare number is
 * seconds), as whole seconds (store leases count in seconds), rounded up. Throws on anything else
 * or on less than one second.
 */
export function parseTtlSeconds(text: string): number {
  const t = text.trim();
  let ms: number;
  if (/^\d+$/.test(t)) ms = Number(t) * 1000;
  else {
    const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) throw new Error(`invalid duration "${text}" (e.g. 1h0m0s, 30s)`);
    ms = parts.reduce((sum, p) => sum + Number(p[1]) * (DURATION_UNITS_MS[p[2] ?? ''] ?? 0), 0);
  }
  const seconds = Math.ceil(ms / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new Error(`duration "${text}" must be at least 1s`);
  return seconds;
}
