/**
 * The fault proxy's table of links, pure: which listen port forwards where, on whose behalf, and
 * which links a partition cuts. Replicas are named by their slot in the cluster (1…N, the order
 * of cluster.json's storePorts), which is the replica id until a member is replaced.
 */

/** A peer link carries replica `from`'s connections to replica `to`'s peer port; a client link, clients' to `to`'s client port. */
export type LinkKind = 'peer' | 'client';

export interface Link {
  readonly kind: LinkKind;
  /** The dialing replica of a peer link; undefined for a client link (any client). */
  readonly from: number | undefined;
  readonly to: number;
  /** The proxy's port on 127.0.0.1 for this link. */
  readonly listenPort: number;
  /** Where the link's connections go: host:port. */
  readonly target: string;
}

/** The proxy ports of one cluster, recorded in cluster.json so they stay across restarts. */
export interface FaultProxyPorts {
  readonly adminPort: number;
  /** Peer link ports by "FROM>TO" (replica slots), one per directed link. */
  readonly peers: Readonly<Record<string, number>>;
  /** One per replica, in slot order: the proxied client port. */
  readonly clients: readonly number[];
}

export function linkKey(link: Pick<Link, 'kind' | 'from' | 'to'>): string {
  return link.kind === 'peer' ? `${link.from}>${link.to}` : `client>${link.to}`;
}

/** How many ports the proxy of an N-replica cluster needs: N·(N-1) peer links, N client links, the admin port. */
export function proxyPortCount(replicas: number): number {
  return replicas * (replicas - 1) + replicas + 1;
}

/** Deals `ports` (proxyPortCount of them, all distinct) out to the links of an N-replica cluster. */
export function assignProxyPorts(replicas: number, ports: readonly number[]): FaultProxyPorts {
  if (ports.length < proxyPortCount(replicas))
    throw new Error(`the fault proxy of ${replicas} replicas needs ${proxyPortCount(replicas)} ports, got ${ports.length}`);
  const next = (
    (i) => () =>
      ports[i++] as number
  )(0);
  const adminPort = next();
  const peers: Record<string, number> = {};
  for (let from = 1; from <= replicas; from++) for (let to = 1; to <= replicas; to++) if (from !== to) peers[`${from}>${to}`] = next();
  const clients = Array.from({ length: replicas }, () => next());
  return { adminPort, peers, clients };
}

/** True when `ports` has a link for every directed pair and every replica of an N-replica cluster. */
export function proxyPortsFit(ports: FaultProxyPorts, replicas: number): boolean {
  if (ports.clients.length !== replicas) return false;
  for (let from = 1; from <= replicas; from++)
    for (let to = 1; to <= replicas; to++) if (from !== to && ports.peers[`${from}>${to}`] === undefined) return false;
  return true;
}

/** Every link of the cluster: targets are the replicas' real peer and client addresses. */
export function clusterLinks(ports: FaultProxyPorts, host: string, storeClientPorts: readonly number[], peerPortOf: (clientPort: number) => number): Link[] {
  const links: Link[] = [];
  for (const [key, listenPort] of Object.entries(ports.peers)) {
    const [from, to] = key.split('>').map(Number) as [number, number];
    const clientPort = storeClientPorts[to - 1];
    if (clientPort === undefined) continue;
    links.push({ kind: 'peer', from, to, listenPort, target: `${host}:${peerPortOf(clientPort)}` });
  }
  ports.clients.forEach((listenPort, i) => {
    const clientPort = storeClientPorts[i];
    if (clientPort !== undefined) links.push({ kind: 'client', from: undefined, to: i + 1, listenPort, target: `${host}:${clientPort}` });
  });
  return links;
}

/**
 * The addresses replica `self` is started with: its own peer entry is its real listen address
 * (the transport binds it), every other replica's is the proxy port of the link self→other.
 */
export function proxiedPeerList(ports: FaultProxyPorts, host: string, ids: readonly number[], self: number, realPeerAddress: (slot: number) => string): string {
  return ids
    .map((id, i) => {
      const slot = i + 1;
      if (id === self) return `${id}=${realPeerAddress(slot)}`;
      const selfSlot = ids.indexOf(self) + 1;
      return `${id}=${host}:${ports.peers[`${selfSlot}>${slot}`]}`;
    })
    .join(',');
}

/** The link flag of `picokube fault-proxy`: peer "1>2=LISTEN=HOST:PORT", client "client>1=LISTEN=HOST:PORT". */
export function formatLinkFlag(link: Link): string {
  return `${linkKey(link)}=${link.listenPort}=${link.target}`;
}

export function parseLinkFlag(text: string): Link {
  const m = /^(?:(\d+)>(\d+)|client>(\d+))=(\d+)=([^=\s]+:\d+)$/.exec(text.trim());
  if (!m) throw new Error(`--link: expected FROM>TO=LISTEN_PORT=HOST:PORT or client>TO=LISTEN_PORT=HOST:PORT, got '${text}'`);
  const listenPort = Number(m[4]);
  if (listenPort <= 0 || listenPort > 65535) throw new Error(`--link: port ${m[4]} out of range in '${text}'`);
  const target = m[5] as string;
  if (m[3] !== undefined) return { kind: 'client', from: undefined, to: Number(m[3]), listenPort, target };
  const from = Number(m[1]);
  const to = Number(m[2]);
  if (from === to || from <= 0 || to <= 0) throw new Error(`--link: a peer link joins two different replicas, got '${text}'`);
  return { kind: 'peer', from, to, listenPort, target };
}

/** Which replicas are cut off; a link is cut when either of its ends is. */
export class PartitionState {
  private readonly cut = new Set<number>();

  constructor(private readonly replicas: ReadonlySet<number>) {}

  /** Throws for a replica the proxy has no link of (bad input is refused, not ignored). */
  partition(replica: number): void {
    if (!this.replicas.has(replica)) throw new RangeError(`no replica ${replica}: the proxy knows ${[...this.replicas].sort((a, b) => a - b).join(', ')}`);
    this.cut.add(replica);
  }

  heal(): void {
    this.cut.clear();
  }

  partitioned(): number[] {
    return [...this.cut].sort((a, b) => a - b);
  }

  isCut(link: Pick<Link, 'from' | 'to'>): boolean {
    return this.cut.has(link.to) || (link.from !== undefined && this.cut.has(link.from));
  }
}
