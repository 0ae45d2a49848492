import { Counter, Gauge, type Registry } from 'prom-client';
import type { DroppedCounts, PeerStats, TransportStats } from './transport.js';

type CounterName = 'framesSent' | 'framesReceived' | 'messagesSent' | 'messagesReceived' | 'malformedFrames' | 'oversizedFrames';
export type DropReason = keyof DroppedCounts;
/** Why a handshake failed; `authFailures` is their sum. */
export type AuthFailureReason =
  | 'badMac'
  | 'wrongCluster'
  | 'unknownPeer'
  | 'wrongDirection'
  | 'unexpectedPeer'
  | 'protocol'
  | 'timeout'
  | 'refused';

/** What a transport can say about its peers' links when stats are read. */
export interface PeerGauges {
  peers(): ReadonlyMap<number, PeerStats>;
}

/**
 * The mutable counters behind `Transport.stats()`, optionally mirrored into a prom-client
 * registry as `picokube_store_peer_*` metrics. One transport per registry: registering a second
 * one in the same registry throws (duplicate metric names).
 */
export class TransportCounters {
  private readonly counts: Record<CounterName, number> = {
    framesSent: 0,
    framesReceived: 0,
    messagesSent: 0,
    messagesReceived: 0,
    malformedFrames: 0,
    oversizedFrames: 0,
  };
  private readonly dropped: Record<DropReason, number> = {
    queueFull: 0,
    unknownPeer: 0,
    tooLarge: 0,
    wrongSender: 0,
    linkLost: 0,
    closed: 0,
    noHandler: 0,
  };
  private readonly authFailed = new Map<AuthFailureReason, number>();
  private readonly prom: PromMetrics | undefined;
  private readonly gauges: PeerGauges;

  constructor(gauges: PeerGauges, registry?: Registry) {
    this.gauges = gauges;
    this.prom = registry ? new PromMetrics(registry, gauges) : undefined;
  }

  inc(name: CounterName, n = 1): void {
    this.counts[name] += n;
    this.prom?.counters[name].inc(n);
  }

  drop(reason: DropReason, n = 1): void {
    if (n <= 0) return;
    this.dropped[reason] += n;
    this.prom?.dropped.inc({ reason }, n);
  }

  authFailure(reason: AuthFailureReason): void {
    this.authFailed.set(reason, (this.authFailed.get(reason) ?? 0) + 1);
    this.prom?.authFailures.inc({ reason });
  }

  /** Handshake failures by reason (the stats object only has their sum). */
  authFailuresByReason(): ReadonlyMap<AuthFailureReason, number> {
    return new Map(this.authFailed);
  }

  snapshot(): TransportStats {
    const peers: Record<string, PeerStats> = {};
    let peersConnected = 0;
    for (const [id, p] of this.gauges.peers()) {
      peers[String(id)] = p;
      if (p.connected) peersConnected++;
    }
    let authFailures = 0;
    for (const n of this.authFailed.values()) authFailures += n;
    return { ...this.counts, messagesDropped: { ...this.dropped }, authFailures, peersConnected, peers };
  }
}

const PREFIX = 'picokube_store_peer_';

class PromMetrics {
  readonly counters: Record<CounterName, Counter>;
  readonly dropped: Counter<'reason'>;
  readonly authFailures: Counter<'reason'>;

  constructor(registry: Registry, gauges: PeerGauges) {
    const counter = (name: string, help: string): Counter =>
      new Counter({ name: `${PREFIX}${name}_total`, help, registers: [registry] });
    this.counters = {
      framesSent: counter('frames_sent', 'Frames written to peer links.'),
      framesReceived: counter('frames_received', 'Valid frames received from peers.'),
      messagesSent: counter('messages_sent', 'Raft messages written to peer links.'),
      messagesReceived: counter('messages_received', 'Raft messages received and delivered.'),
      malformedFrames: counter('malformed_frames', 'Frames from peers that did not decode or validate.'),
      oversizedFrames: counter('oversized_frames', 'Frames from peers over the size limit.'),
    };
    this.dropped = new Counter({
      name: `${PREFIX}messages_dropped_total`,
      help: 'Raft messages dropped by the transport, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    this.authFailures = new Counter({
      name: `${PREFIX}auth_failures_total`,
      help: 'Failed peer handshakes, by reason.',
      labelNames: ['reason'],
      registers: [registry],
    });
    const sum = (pick: (p: PeerStats) => number): number => {
      let total = 0;
      for (const p of gauges.peers().values()) total += pick(p);
      return total;
    };
    new Gauge({
      name: `${PREFIX}connected`,
      help: 'Peers with an authenticated link.',
      registers: [registry],
      collect() {
        this.set(sum((p) => (p.connected ? 1 : 0)));
      },
    });
    new Gauge({
      name: `${PREFIX}queued_messages`,
      help: 'Raft messages waiting in peer queues.',
      registers: [registry],
      collect() {
        this.set(sum((p) => p.queuedMessages));
      },
    });
    new Gauge({
      name: `${PREFIX}queued_bytes`,
      help: 'Estimated bytes waiting in peer queues.',
      registers: [registry],
      collect() {
        this.set(sum((p) => p.queuedBytes));
      },
    });
  }
}
