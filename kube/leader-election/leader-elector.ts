/**
 * `LeaderElector`: client-go's leaderelection on a coordination.k8s.io/v1 Lease, so that of
 * several scheduler or controller-manager copies exactly one acts.
 *
 * Contract:
 * - `run()` tries to acquire the lease every `retryPeriodMs` (jittered up to ×2.2, as client-go's
 *   JitterUntil with factor 1.2); a lease held by another identity is taken only once it has not
 *   changed for `leaseDurationSeconds` as measured on OUR clock since we first saw that record
 *   (no trust in other machines' clocks), or at once when released (empty holderIdentity);
 * - once acquired it calls `onStartedLeading` and renews every `retryPeriodMs`; a leader that has
 *   not renewed within `renewDeadlineMs` of its last successful renewal, or that finds another
 *   holder in the lease, stops leading: `onStoppedLeading` is called once and `run()` resolves.
 *   The elector is one-shot; the caller (like kube-scheduler) normally exits then;
 * - every write is a PUT guarded by the lease's resourceVersion; a 409 means another candidate
 *   wrote first, so we re-read on the next round;
 * - `stop({ release: true })` (after any renewal in flight) clears holderIdentity and sets
 *   leaseDurationSeconds 1, so a standby takes over at its next retry instead of waiting for
 *   expiry; `onStoppedLeading` is called if we were leading;
 * - `onNewLeader(identity)` is called whenever the observed holder changes to a non-empty one.
 * Like client-go there is no fencing: for a moment two processes may both believe they lead.
 * Identities must be unique per process (an identity equal to the holder's renews its lease).
 */
import pino, { type Logger } from 'pino';
import { type ApiClient, isNotFound } from '../client/api-client.js';
import { Resources } from '../client/resource.js';
import { type Clock, realClock } from '../clock.js';
import { type LeaseObject, type LeaseSpec, microTime, readLeaseSpec, sameRecord } from './lease-record.js';

export interface LeaderElectorOptions {
  readonly client: ApiClient;
  readonly clock?: Clock;
  /** Default `kube-system`. */
  readonly namespace?: string;
  readonly name: string;
  readonly identity: string;
  /** Default 15 s. */
  readonly leaseDurationMs?: number;
  /** Default 10 s; must be below leaseDurationMs. */
  readonly renewDeadlineMs?: number;
  /** Default 2 s; ×1.2 must be below renewDeadlineMs. */
  readonly retryPeriodMs?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly onNewLeader?: (identity: string) => void;
  /** For retry jitter; default Math.random. */
  readonly rng?: () => number;
  readonly logger?: Logger;
}

export type ElectorState = 'idle' | 'candidate' | 'leading' | 'stopped';

/** 'ok': we hold the lease now; 'held': another live holder; 'failed': could not tell (error, conflict). */
type Attempt = 'ok' | 'held' | 'failed';

const JITTER_FACTOR = 1.2;

export class LeaderElector {
  private readonly client: ApiClient;
  private readonly clock: Clock;
  private readonly namespace: string;
  private readonly name: string;
  private readonly identity: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly rng: () => number;
  private readonly logger: Logger;
  private readonly callbacks: Pick<LeaderElectorOptions, 'onStartedLeading' | 'onStoppedLeading' | 'onNewLeader'>;

  private state: ElectorState = 'idle';
  private observed: LeaseSpec | undefined;
  private observedAtMs = 0;
  private reportedLeader = '';
  private inflight: Promise<Attempt> | undefined;
  private wake: (() => void) | undefined;

  constructor(options: LeaderElectorOptions) {
    this.client = options.client;
    this.clock = options.clock ?? realClock;
    this.namespace = options.namespace ?? 'kube-system';
    this.name = options.name;
    this.identity = options.identity;
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.rng = options.rng ?? Math.random;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.callbacks = options;
    if (!this.identity) throw new Error('leader election needs a non-empty identity');
    if (this.leaseDurationMs < 1000) throw new Error('leaseDurationMs must be at least 1000 (the lease counts whole seconds)');
    if (this.leaseDurationMs <= this.renewDeadlineMs) throw new Error('leaseDurationMs must be greater than renewDeadlineMs');
    if (this.renewDeadlineMs <= JITTER_FACTOR * this.retryPeriodMs) throw new Error('renewDeadlineMs must be greater than retryPeriodMs × 1.2');
  }

  isLeader(): boolean {
    return this.state === 'leading';
  }

  /** The holder we last observed ('' when none or released). */
  leader(): string {
    return this.observed?.holderIdentity ?? '';
  }

  currentState(): ElectorState {
    return this.state;
  }

  /** Acquire, lead, renew; resolves once leadership is lost or `stop()` is called. */
  async run(): Promise<void> {
    if (this.state !== 'idle') throw new Error('LeaderElector.run may be called once');
    this.state = 'candidate';
    for (;;) {
      const attempt = await this.attempt();
      if (this.isStopped()) return;
      if (attempt === 'ok') break;
      await this.sleep(this.retryPeriodMs * (1 + JITTER_FACTOR * this.rng()));
      if (this.isStopped()) return;
    }
    this.state = 'leading';
    this.logger.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, 'acquired the lease');
    this.safely('onStartedLeading', () => this.callbacks.onStartedLeading());
    await this.renewLoop();
  }

  /** Stop trying (and leading). With `release`, hand the lease back so a standby takes over at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    if (this.state === 'stopped') return;
    const wasLeading = this.state === 'leading';
    this.state = 'stopped';
    this.wake?.();
    // A renewal in flight must land before the release, or it would take the lease back; an
    // acquisition that lands just now is handed back too.
    const last = await this.inflight;
    if (options.release && (wasLeading || last === 'ok')) await this.release();
    if (wasLeading) this.safely('onStoppedLeading', () => this.callbacks.onStoppedLeading());
  }

  /** A method, so that TypeScript does not narrow `state` across awaits. */
  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  private async renewLoop(): Promise<void> {
    let lastRenewMs = this.clock.now();
    for (;;) {
      await this.sleep(this.retryPeriodMs);
      if (this.state !== 'leading') return;
      const deadlineMs = lastRenewMs + this.renewDeadlineMs;
      const result = this.clock.now() >= deadlineMs ? 'timeout' : await this.raceDeadline(this.attempt(), deadlineMs);
      if (this.state !== 'leading') return; // stopped meanwhile: stop() reports it
      if (result === 'ok') {
        lastRenewMs = this.clock.now();
        continue;
      }
      if (result === 'held' || result === 'timeout' || this.clock.now() >= deadlineMs) {
        this.logger.warn({ lease: `${this.namespace}/${this.name}`, identity: this.identity, why: result }, 'lost the lease');
        this.state = 'stopped';
        this.safely('onStoppedLeading', () => this.callbacks.onStoppedLeading());
        return;
      }
    }
  }

  /** One try to acquire or renew (client-go's tryAcquireOrRenew). */
  private attempt(): Promise<Attempt> {
    const p = this.tryAcquireOrRenew().catch((err: unknown): Attempt => {
      this.logger.warn({ err: String(err), lease: `${this.namespace}/${this.name}` }, 'lease attempt failed');
      return 'failed';
    });
    this.inflight = p;
    return p;
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    let lease: LeaseObject;
    try {
      lease = await this.client.get<LeaseObject>(Resources.leases, this.name, this.namespace);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const spec = this.recordFor(undefined);
      const created = await this.client.create<LeaseObject>(Resources.leases, {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: this.name, namespace: this.namespace },
        spec: { ...spec },
      });
      this.observe(readLeaseSpec(created));
      return 'ok';
    }
    const current = readLeaseSpec(lease);
    this.observe(current);
    const holder = current.holderIdentity;
    const expiresAtMs = this.observedAtMs + current.leaseDurationSeconds * 1000;
    if (holder !== '' && holder !== this.identity && expiresAtMs > this.clock.now()) return 'held';
    if (this.isStopped()) return 'failed';
    const spec = this.recordFor(current);
    const updated = await this.client.update<LeaseObject>(Resources.leases, { ...lease, spec: { ...lease.spec, ...spec } });
    this.observe(readLeaseSpec(updated));
    return 'ok';
  }

  /** The record we write: renewing keeps acquireTime and transitions; taking over counts one more transition. */
  private recordFor(current: LeaseSpec | undefined): LeaseSpec {
    const now = microTime(this.clock.now());
    const renewing = current !== undefined && current.holderIdentity === this.identity;
    return {
      holderIdentity: this.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: renewing && current.acquireTime ? current.acquireTime : now,
      renewTime: now,
      leaseTransitions: current === undefined ? 0 : renewing ? current.leaseTransitions : current.leaseTransitions + 1,
    };
  }

  private async release(): Promise<void> {
    try {
      const lease = await this.client.get<LeaseObject>(Resources.leases, this.name, this.namespace);
      const current = readLeaseSpec(lease);
      if (current.holderIdentity !== this.identity) return;
      const now = microTime(this.clock.now());
      const spec: LeaseSpec = { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: now, renewTime: now, leaseTransitions: current.leaseTransitions };
      await this.client.update(Resources.leases, { ...lease, spec: { ...lease.spec, ...spec } });
      this.logger.info({ lease: `${this.namespace}/${this.name}`, identity: this.identity }, 'released the lease');
    } catch (err) {
      // Not fatal: the standby takes over when the lease expires.
      this.logger.warn({ err: String(err), lease: `${this.namespace}/${this.name}` }, 'could not release the lease');
    }
  }

  private observe(record: LeaseSpec): void {
    if (!sameRecord(this.observed, record)) {
      this.observed = record;
      this.observedAtMs = this.clock.now();
    }
    const holder = record.holderIdentity;
    if (holder !== '' && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      const onNewLeader = this.callbacks.onNewLeader;
      if (onNewLeader) this.safely('onNewLeader', () => onNewLeader(holder));
    }
  }

  private raceDeadline(p: Promise<Attempt>, deadlineMs: number): Promise<Attempt | 'timeout'> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(() => resolve('timeout'), Math.max(0, deadlineMs - this.clock.now()));
      void p.then((r) => {
        cancel();
        resolve(r);
      });
    });
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err: String(err), callback: what }, 'leader election callback threw');
    }
  }

  /** A clock timer that `stop()` cuts short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        cancel();
        this.wake = undefined;
        resolve();
      };
    });
  }
}
