import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Transport } from '../transport/transport.js';
import type { Replica } from './replica.js';

/** The replica's Prometheus metrics, served on /metrics. Names follow etcd's where one exists. */
export class ReplicaMetrics {
  readonly registry = new Registry();
  readonly fsyncSeconds: Histogram;
  readonly proposals: Counter;
  readonly snapshotBytes: Gauge;
  readonly clientMalformedFrames: Counter;
  readonly clientOversizedFrames: Counter;
  readonly clientRequests: Counter<'op' | 'code'>;
  private readonly term: Gauge;
  private readonly isLeader: Gauge;
  private readonly hasLeader: Gauge;
  private readonly commitIndex: Gauge;
  private readonly appliedIndex: Gauge;
  private readonly revision: Gauge;

  constructor(transport: Transport) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.fsyncSeconds = new Histogram({
      name: 'picokube_store_wal_fsync_duration_seconds',
      help: 'Latency of WAL fsyncs (one per group commit).',
      buckets: [0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1],
      registers,
    });
    this.proposals = new Counter({ name: 'picokube_store_proposals_total', help: 'Client writes proposed by this replica as leader.', registers });
    this.snapshotBytes = new Gauge({ name: 'picokube_store_snapshot_bytes', help: 'Size of the newest state machine snapshot.', registers });
    this.clientMalformedFrames = new Counter({ name: 'picokube_store_client_malformed_frames_total', help: 'Client frames dropped as malformed.', registers });
    this.clientOversizedFrames = new Counter({ name: 'picokube_store_client_oversized_frames_total', help: 'Client connections closed for an oversized frame.', registers });
    this.clientRequests = new Counter({ name: 'picokube_store_client_requests_total', help: 'Client requests by op and result code.', labelNames: ['op', 'code'], registers });
    this.term = new Gauge({ name: 'picokube_store_raft_term', help: 'Current Raft term.', registers });
    this.isLeader = new Gauge({ name: 'picokube_store_is_leader', help: '1 if this replica is the leader.', registers });
    this.hasLeader = new Gauge({ name: 'picokube_store_has_leader', help: '1 if a leader is known.', registers });
    this.commitIndex = new Gauge({ name: 'picokube_store_raft_commit_index', help: 'Raft commit index.', registers });
    this.appliedIndex = new Gauge({ name: 'picokube_store_raft_applied_index', help: 'Index applied to the state machine.', registers });
    this.revision = new Gauge({ name: 'picokube_store_mvcc_revision', help: 'Current MVCC revision.', registers });
    const stat = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    stat('picokube_store_peers_connected', 'Peer links with a completed handshake.', () => transport.stats().peersConnected);
    stat('picokube_store_peer_malformed_frames_total', 'Peer frames dropped as malformed.', () => transport.stats().malformedFrames);
    stat('picokube_store_peer_oversized_frames_total', 'Peer frames refused as oversized.', () => transport.stats().oversizedFrames);
    stat('picokube_store_peer_auth_failures_total', 'Peer handshakes refused.', () => transport.stats().authFailures);
    stat('picokube_store_peer_messages_dropped_total', 'Raft messages dropped by the transport.', () => {
      const d = transport.stats().messagesDropped;
      return d.queueFull + d.unknownPeer + d.tooLarge + d.wrongSender + d.linkLost + d.closed + d.noHandler;
    });
  }

  observe(r: Replica): void {
    const raft = r.node.raft;
    this.term.set(raft.term);
    this.isLeader.set(raft.role === 'leader' ? 1 : 0);
    this.hasLeader.set(raft.lead !== 0 ? 1 : 0);
    this.commitIndex.set(raft.log.committed);
    this.appliedIndex.set(r.applied);
    this.revision.set(r.store.revision);
  }
}
