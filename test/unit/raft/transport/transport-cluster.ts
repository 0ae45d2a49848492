import type { Test } from 'tap';
import type { Message, NodeId } from '../../../../raft/core/types.js';
import { MemHub } from '../../../../raft/transport/mem-transport.js';
import type { Transport, TransportLimits } from '../../../../raft/transport/transport.js';
import { WsTransport } from '../../../../raft/transport/ws-transport.js';
import { pollUntil, silentLogger } from './transport-fixtures.js';

/**
 * A few replicas' transports wired to each other, for the conformance suite: records what each
 * replica received and which peers it was told are unreachable, across restarts.
 */

export const CLUSTER_ID = 'picokube-test';
export const SECRET = new TextEncoder().encode('test-cluster-secret');

/** Starts a transport for `id`; `address` is a stopped predecessor's, to come back at the same place. */
export type Spawner = (id: NodeId, limits: Partial<TransportLimits>, address?: string) => Promise<{ transport: Transport; address: string }>;

export class Cluster {
  private readonly spawner: Spawner;
  private readonly limits: Partial<TransportLimits>;
  private readonly transports = new Map<NodeId, Transport>();
  private readonly addresses = new Map<NodeId, string>();
  private readonly peersOf = new Map<NodeId, NodeId[]>();
  private readonly receivedBy = new Map<NodeId, Message[]>();
  private readonly unreachableBy = new Map<NodeId, NodeId[]>();

  constructor(spawner: Spawner, limits: Partial<TransportLimits>) {
    this.spawner = spawner;
    this.limits = limits;
  }

  get(id: NodeId): Transport {
    const tr = this.transports.get(id);
    if (!tr) throw new Error(`no transport for replica ${id}`);
    return tr;
  }

  received(id: NodeId): Message[] {
    return this.receivedBy.get(id) ?? [];
  }

  /** What `id` received from `from`, in arrival order. */
  receivedFrom(id: NodeId, from: NodeId): Message[] {
    return this.received(id).filter((m) => m.from === from);
  }

  unreachable(id: NodeId): NodeId[] {
    return this.unreachableBy.get(id) ?? [];
  }

  /** Starts replica `id` knowing `peers`, and makes each of them know it. */
  async add(id: NodeId, peers: NodeId[]): Promise<void> {
    await this.spawn(id, peers);
    for (const p of peers) {
      const known = this.peersOf.get(p) ?? [];
      if (!known.includes(id)) this.peersOf.set(p, [...known, id]);
      this.transports.get(p)?.addPeer(id, this.addresses.get(id) ?? '');
    }
  }

  async stop(id: NodeId): Promise<void> {
    await this.get(id).close();
  }

  /** A fresh transport for `id` at its old address, knowing its old peers. */
  async restart(id: NodeId): Promise<void> {
    await this.spawn(id, this.peersOf.get(id) ?? [], this.addresses.get(id));
  }

  connected(from: NodeId, to: NodeId): boolean {
    return this.get(from).stats().peers[String(to)]?.connected ?? false;
  }

  /** Waits until every replica has a link up to every peer it knows. */
  async linksUp(): Promise<void> {
    await pollUntil(() => [...this.peersOf].every(([id, peers]) => peers.every((p) => this.connected(id, p))), 'every link is up');
  }

  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((tr) => tr.close()));
  }

  private async spawn(id: NodeId, peers: NodeId[], address?: string): Promise<void> {
    const { transport, address: bound } = await this.spawner(id, this.limits, address);
    this.transports.set(id, transport);
    this.addresses.set(id, bound);
    this.peersOf.set(id, peers);
    for (const p of peers) transport.addPeer(p, this.addresses.get(p) ?? '');
    const received = this.receivedBy.get(id) ?? [];
    const unreachable = this.unreachableBy.get(id) ?? [];
    this.receivedBy.set(id, received);
    this.unreachableBy.set(id, unreachable);
    transport.onMessage((m) => received.push(m));
    transport.onUnreachable((p) => unreachable.push(p));
  }
}

/** Makes a started cluster of `ids`, each knowing all others; closed when the test ends. */
export type MakeCluster = (t: Test, ids: NodeId[], limits?: Partial<TransportLimits>) => Promise<Cluster>;

async function makeWith(t: Test, spawner: Spawner, ids: NodeId[], limits: Partial<TransportLimits>): Promise<Cluster> {
  const cluster = new Cluster(spawner, limits);
  t.teardown(() => cluster.close());
  for (const [i, id] of ids.entries()) await cluster.add(id, ids.slice(0, i));
  return cluster;
}

export const memCluster: MakeCluster = (t, ids, limits = {}) => {
  const hub = new MemHub();
  const spawner: Spawner = async (id, lim) => {
    const transport = hub.transport(id, { limits: lim });
    await transport.start();
    return { transport, address: `mem://${id}` };
  };
  return makeWith(t, spawner, ids, limits);
};

export const wsCluster: MakeCluster = (t, ids, limits = {}) => {
  const spawner: Spawner = async (id, lim, address) => {
    const port = address ? Number(new URL(address).port) : 0;
    const transport = new WsTransport({
      id,
      clusterId: CLUSTER_ID,
      secret: SECRET,
      logger: silentLogger,
      port,
      limits: lim,
      reconnectDelayMaxMs: 250,
    });
    await transport.start();
    return { transport, address: `ws://127.0.0.1:${transport.address().port}` };
  };
  return makeWith(t, spawner, ids, limits);
};
