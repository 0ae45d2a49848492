/**
 * `ApiEventRecorder`: the EventRecorder that writes core/v1 Events to the apiserver, as
 * client-go's record.EventBroadcaster does for kube-scheduler and the controllers.
 *
 * Contract:
 * - `event()` never throws and never waits: it queues and returns. At most `maxPending` (1000)
 *   events wait or are in flight; beyond that new ones are dropped and counted (`dropped()`);
 * - one Event per (involved object, type, reason, message): a repeat within 10 minutes of the
 *   last is a merge patch of `count` and `lastTimestamp` on the existing Event; repeats that
 *   are still queued are folded into one write. After 10 minutes (or if the Event is gone) a
 *   new Event is created;
 * - Events are named `<object name>.<hex of the time in ns>` like client-go's, in the object's
 *   namespace (`default` for cluster-scoped objects), with involvedObject (kind, namespace,
 *   name, uid, apiVersion, resourceVersion), source {component, host}, reportingComponent,
 *   reportingInstance, firstTimestamp, lastTimestamp and count;
 * - failures are logged and dropped (an Event is a hint, not state); writes of one key are
 *   never concurrent, different keys go `concurrency` (4) at a time;
 * - `flush()` resolves once everything queued so far has been written or dropped.
 */
import pino, { type Logger } from 'pino';
import { type Clock, realClock } from '../clock.js';
import type { KubeObject } from '../object.js';
import { type ApiClient, isNotFound } from './api-client.js';
import type { EventRecorder, EventType } from './event-recorder.js';
import { Resources } from './resource.js';

export interface ApiEventRecorderOptions {
  readonly client: ApiClient;
  /** `source.component` and `reportingComponent`: `default-scheduler`, `replicaset-controller`. */
  readonly component: string;
  /** `source.host` and `reportingInstance` (the node name for node agents). */
  readonly host?: string;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly maxPending?: number;
  readonly concurrency?: number;
  /** Repeats within this window update the existing Event; default 10 min. */
  readonly correlationWindowMs?: number;
  /** How many recent Events are remembered for correlation; default 4096. */
  readonly cacheSize?: number;
}

interface Involved {
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
  readonly uid?: string;
  readonly apiVersion?: string;
  readonly resourceVersion?: string;
}

interface Pending {
  readonly key: string;
  readonly involved: Involved;
  readonly type: EventType;
  readonly reason: string;
  readonly message: string;
  readonly firstMs: number;
  lastMs: number;
  count: number;
}

interface Sent {
  readonly name: string;
  readonly namespace: string;
  readonly firstTimestamp: string;
  count: number;
  lastMs: number;
}

/** client-go truncates messages to this many bytes (events.k8s.io's limit). */
const MESSAGE_MAX = 1024;

export class ApiEventRecorder implements EventRecorder {
  private readonly client: ApiClient;
  private readonly component: string;
  private readonly host: string | undefined;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxPending: number;
  private readonly concurrency: number;
  private readonly windowMs: number;
  private readonly cacheSize: number;

  /** Queued, by key, in arrival order. */
  private readonly pending = new Map<string, Pending>();
  private readonly inflight = new Set<string>();
  /** Recently written Events by key, least recently used first. */
  private readonly sent = new Map<string, Sent>();
  private droppedCount = 0;
  private seq = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: ApiEventRecorderOptions) {
    this.client = options.client;
    this.component = options.component;
    this.host = options.host;
    this.clock = options.clock ?? realClock;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.maxPending = options.maxPending ?? 1000;
    this.concurrency = Math.max(1, options.concurrency ?? 4);
    this.windowMs = options.correlationWindowMs ?? 10 * 60_000;
    this.cacheSize = options.cacheSize ?? 4096;
  }

  event(obj: KubeObject, type: EventType, reason: string, message: string): void {
    try {
      this.enqueue(obj, type, reason, message);
    } catch (err) {
      this.logger.warn({ err: String(err), reason }, 'could not queue an event');
    }
  }

  /** Events dropped because the queue was full. */
  dropped(): number {
    return this.droppedCount;
  }

  /** Queued or in flight. */
  backlog(): number {
    return this.pending.size + this.inflight.size;
  }

  flush(): Promise<void> {
    if (this.backlog() === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(obj: KubeObject, type: EventType, reason: string, rawMessage: string): void {
    const meta = obj?.metadata ?? {};
    const involved: Involved = {
      kind: String(obj?.kind ?? ''),
      name: String(meta.name ?? ''),
      ...(meta.namespace ? { namespace: meta.namespace } : {}),
      ...(meta.uid ? { uid: meta.uid } : {}),
      ...(obj?.apiVersion ? { apiVersion: obj.apiVersion } : {}),
      ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    };
    const message = rawMessage.length > MESSAGE_MAX ? `${rawMessage.slice(0, MESSAGE_MAX - 3)}...` : rawMessage;
    const key = JSON.stringify([involved.kind, involved.namespace ?? '', involved.name, involved.uid ?? '', type, reason, message]);
    const now = this.clock.now();
    const queued = this.pending.get(key);
    if (queued) {
      queued.count++;
      queued.lastMs = now;
      return;
    }
    if (this.backlog() >= this.maxPending) {
      this.droppedCount++;
      if (this.droppedCount === 1 || this.droppedCount % 1000 === 0) this.logger.warn({ dropped: this.droppedCount }, 'event queue full, dropping events');
      return;
    }
    this.pending.set(key, { key, involved, type, reason, message, firstMs: now, lastMs: now, count: 1 });
    this.pump();
  }

  /** Starts writes while there is room and a queued key that is not already being written. */
  private pump(): void {
    while (this.inflight.size < this.concurrency) {
      let next: Pending | undefined;
      for (const p of this.pending.values()) {
        if (!this.inflight.has(p.key)) {
          next = p;
          break;
        }
      }
      if (!next) break;
      const item = next;
      this.pending.delete(item.key);
      this.inflight.add(item.key);
      void this.write(item)
        .catch((err: unknown) => this.logger.warn({ err: String(err), reason: item.reason, object: item.involved.name }, 'could not write event'))
        .finally(() => {
          this.inflight.delete(item.key);
          this.pump();
          if (this.backlog() === 0) for (const w of this.idleWaiters.splice(0)) w();
        });
    }
  }

  private async write(p: Pending): Promise<void> {
    const previous = this.sent.get(p.key);
    if (previous && p.firstMs - previous.lastMs <= this.windowMs) {
      const count = previous.count + p.count;
      try {
        await this.client.patch(Resources.events, previous.name, { count, lastTimestamp: timestamp(p.lastMs) }, { namespace: previous.namespace });
        this.remember(p.key, { ...previous, count, lastMs: p.lastMs });
        return;
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Deleted (or expired by TTL) meanwhile: start a new Event.
      }
    }
    const namespace = p.involved.namespace ?? 'default';
    const name = `${p.involved.name}.${this.nameSuffix(p.lastMs)}`;
    const firstTimestamp = timestamp(p.firstMs);
    await this.client.create(Resources.events, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: p.involved,
      reason: p.reason,
      message: p.message,
      type: p.type,
      source: { component: this.component, ...(this.host ? { host: this.host } : {}) },
      firstTimestamp,
      lastTimestamp: timestamp(p.lastMs),
      count: p.count,
      eventTime: null,
      reportingComponent: this.component,
      reportingInstance: this.host ?? '',
    });
    this.remember(p.key, { name, namespace, firstTimestamp, count: p.count, lastMs: p.lastMs });
  }

  private remember(key: string, sent: Sent): void {
    this.sent.delete(key);
    this.sent.set(key, sent);
    if (this.sent.size > this.cacheSize) {
      const oldest = this.sent.keys().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
  }

  /** client-go's `%x` of UnixNano; a sequence number keeps names unique within a millisecond. */
  private nameSuffix(ms: number): string {
    this.seq = (this.seq + 1) % 1_000_000;
    return (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(this.seq)).toString(16);
  }
}

/** RFC 3339 with seconds precision, as metav1.Time serializes. */
function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
