import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { ApiserverFront, type FrontFlag, parseFrontFlag } from './apiserver-front.js';
import { type Link, linkKey, PartitionState, parseLinkFlag } from './link-table.js';
import { spliceSockets } from './socket-splice.js';

const HELP = `picokube fault-proxy: TCP forwarding in front of the store replicas' links, with faults on demand,
and the apiservers' front

usage: picokube fault-proxy --admin-port PORT --link SPEC [--link SPEC ...] [--front SPEC]

  --link FROM>TO=LISTEN=HOST:PORT   a peer link: replica FROM's connections to replica TO's peer port
  --link client>TO=LISTEN=HOST:PORT clients' connections to replica TO's client port
  --admin-port PORT                 the admin API (127.0.0.1):
                                      GET /                         the links and who is cut off, as JSON
                                      GET /healthz                  200 once every link listens
                                      POST /partition?replica=N     cut every link to and from N, peer and client
                                      POST /heal                    undo every partition
  --front LISTEN=HOST:PORT,HOST:PORT…
                                    one address for several apiservers: each connection goes,
                                    untouched (TLS end to end), to the next one that answers
  --host HOST                       address to listen on (default 127.0.0.1)
`;

interface LinkRuntime {
  readonly link: Link;
  readonly server: Server;
  /** Open pairs (accepted socket, dialed socket), so a cut closes them. */
  readonly open: Set<[Socket, Socket]>;
  accepted: number;
  refused: number;
}

/**
 * The fault proxy: one TCP listener per link, each connection piped both ways to the link's
 * target. A partition closes the open connections of every link touching the replica and
 * refuses new ones (accepted, then reset at once) until the heal, so both Raft peers and store
 * clients see the replica vanish as they would on a network cut.
 */
export class FaultProxy {
  private readonly links: LinkRuntime[] = [];
  private readonly state: PartitionState;
  private admin: HttpServer | undefined;
  private readonly front: ApiserverFront | undefined;

  constructor(
    links: readonly Link[],
    private readonly host = '127.0.0.1',
    front?: FrontFlag,
  ) {
    this.front = front ? new ApiserverFront(front, host) : undefined;
    const keys = new Set<string>();
    for (const link of links) {
      if (keys.has(linkKey(link))) throw new Error(`link ${linkKey(link)} given twice`);
      keys.add(linkKey(link));
      const rt: LinkRuntime = { link, server: createServer((s) => this.accept(rt, s)), open: new Set(), accepted: 0, refused: 0 };
      this.links.push(rt);
    }
    const replicas = new Set<number>();
    for (const { from, to } of links) {
      replicas.add(to);
      if (from !== undefined) replicas.add(from);
    }
    this.state = new PartitionState(replicas);
  }

  /** Listens on every link's port and the admin port; rejects (having closed what it opened) if one is taken. */
  async start(adminPort: number): Promise<void> {
    try {
      await Promise.all([...this.links.map((rt) => listen(rt.server, rt.link.listenPort, this.host)), this.front?.start()]);
      this.admin = createHttpServer((req, res) => this.serveAdmin(req, res));
      await listen(this.admin, adminPort, this.host);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  partition(replica: number): void {
    this.state.partition(replica);
    for (const rt of this.links) if (this.state.isCut(rt.link)) this.cutOpen(rt);
  }

  heal(): void {
    this.state.heal();
  }

  describe(): { partitioned: number[]; links: object[]; front?: object } {
    return {
      partitioned: this.state.partitioned(),
      ...(this.front ? { front: this.front.describe() } : {}),
      links: this.links.map(({ link, open, accepted, refused }) => ({
        key: linkKey(link),
        kind: link.kind,
        ...(link.from !== undefined ? { from: link.from } : {}),
        to: link.to,
        listenPort: link.listenPort,
        target: link.target,
        cut: this.state.isCut(link),
        open: open.size,
        accepted,
        refused,
      })),
    };
  }

  async close(): Promise<void> {
    for (const rt of this.links) this.cutOpen(rt);
    await Promise.all([...this.links.map((rt) => closeServer(rt.server)), this.admin ? closeServer(this.admin) : undefined, this.front?.close()]);
  }

  private accept(rt: LinkRuntime, inbound: Socket): void {
    inbound.on('error', () => {});
    if (this.state.isCut(rt.link)) {
      rt.refused++;
      inbound.resetAndDestroy();
      return;
    }
    rt.accepted++;
    const [host, port] = splitHostPort(rt.link.target);
    const outbound = createConnection({ host, port });
    outbound.on('error', () => {});
    const pair: [Socket, Socket] = [inbound, outbound];
    rt.open.add(pair);
    spliceSockets(inbound, outbound, () => rt.open.delete(pair));
  }

  private cutOpen(rt: LinkRuntime): void {
    for (const pair of rt.open) for (const s of pair) s.resetAndDestroy();
    rt.open.clear();
  }

  private serveAdmin(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const [code, body] = this.adminAnswer(req.method ?? 'GET', new URL(req.url ?? '/', 'http://proxy'));
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(body)}\n`);
  }

  /** The admin API: status code and JSON body for one request. */
  private adminAnswer(method: string, url: URL): [number, unknown] {
    if (method === 'GET' && url.pathname === '/') return [200, this.describe()];
    if (method === 'GET' && url.pathname === '/healthz') return [200, { ok: true }];
    if (method === 'POST' && url.pathname === '/heal') {
      this.heal();
      return [200, this.describe()];
    }
    if (method === 'POST' && url.pathname === '/partition') {
      const replica = Number(url.searchParams.get('replica') ?? Number.NaN);
      if (!Number.isSafeInteger(replica)) return [400, { error: 'replica=N is required (a replica number)' }];
      try {
        this.partition(replica);
      } catch (e) {
        return [400, { error: (e as Error).message }];
      }
      return [200, this.describe()];
    }
    return [404, { error: `no ${method} ${url.pathname}: GET /, GET /healthz, POST /partition?replica=N, POST /heal` }];
  }
}

function splitHostPort(target: string): [string, number] {
  const i = target.lastIndexOf(':');
  return [target.slice(0, i), Number(target.slice(i + 1))];
}

function listen(server: Server | HttpServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    if ('closeAllConnections' in server) server.closeAllConnections();
  });
}

export async function main(argv: string[]): Promise<void> {
  let values: { link?: string[]; front?: string; 'admin-port'?: string; host?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        link: { type: 'string', multiple: true },
        front: { type: 'string' },
        'admin-port': { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        help: { type: 'boolean' },
      },
    }));
  } catch (e) {
    process.stderr.write(`picokube fault-proxy: ${(e as Error).message}\n${HELP}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const fail = (msg: string): never => {
    process.stderr.write(`picokube fault-proxy: ${msg}\n`);
    process.exit(2);
  };
  const adminPort = Number(values['admin-port']);
  if (!Number.isInteger(adminPort) || adminPort <= 0 || adminPort > 65535) fail('--admin-port PORT is required');
  let links: Link[] = [];
  try {
    links = (values.link ?? []).map(parseLinkFlag);
  } catch (e) {
    fail((e as Error).message);
  }
  if (links.length === 0) fail('at least one --link is required');
  let front: FrontFlag | undefined;
  try {
    front = values.front === undefined ? undefined : parseFrontFlag(values.front);
  } catch (e) {
    fail((e as Error).message);
  }
  const proxy = new FaultProxy(links, values.host, front);
  try {
    await proxy.start(adminPort);
  } catch (e) {
    fail(`cannot listen: ${(e as Error).message}`);
  }
  process.stdout.write(`${JSON.stringify({ msg: 'fault proxy listening', adminPort, links: links.length })}\n`);
  const stop = (): void => void proxy.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
