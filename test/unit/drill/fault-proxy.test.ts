import { createServer, connect, type Server, type Socket } from 'node:net';
import t from 'tap';
import { FaultProxy } from '../../../scripts/drill/fault-proxy.js';
import {
  assignProxyPorts,
  clusterLinks,
  formatLinkFlag,
  type Link,
  PartitionState,
  parseLinkFlag,
  proxiedPeerList,
  proxyPortCount,
  proxyPortsFit,
} from '../../../scripts/drill/link-table.js';
import { freePort } from '../../helpers/store-cluster.js';

const HOST = '127.0.0.1';

t.test('link table', async (t) => {
  t.test('assigns one port per directed peer link, per client port, and the admin port', async (t) => {
    t.equal(proxyPortCount(3), 10);
    const ports = assignProxyPorts(3, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    t.equal(ports.adminPort, 100);
    t.same(Object.keys(ports.peers).sort(), ['1>2', '1>3', '2>1', '2>3', '3>1', '3>2']);
    t.equal(new Set(Object.values(ports.peers)).size, 6);
    t.same(ports.clients, [107, 108, 109]);
    t.ok(proxyPortsFit(ports, 3));
    t.notOk(proxyPortsFit(ports, 5));
    t.throws(() => assignProxyPorts(3, [1, 2, 3]));
  });

  t.test('each replica dials others through the proxy but keeps its own real listen address', async (t) => {
    const ports = assignProxyPorts(3, [100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    const list = proxiedPeerList(ports, HOST, [1, 2, 3], 2, (slot) => `${HOST}:${slot * 1000}`);
    t.equal(list, `1=${HOST}:${ports.peers['2>1']},2=${HOST}:2000,3=${HOST}:${ports.peers['2>3']}`);
  });

  t.test('links target the real peer and client ports', async (t) => {
    const ports = assignProxyPorts(2, [10, 11, 12, 13, 14]);
    const links = clusterLinks(ports, HOST, [2379, 2389], (p) => p + 1);
    t.same(links.map(formatLinkFlag).sort(), [`1>2=11=${HOST}:2390`, `2>1=12=${HOST}:2380`, `client>1=13=${HOST}:2379`, `client>2=14=${HOST}:2389`].sort());
    for (const l of links) t.same(parseLinkFlag(formatLinkFlag(l)), l, 'a link flag round-trips');
  });

  t.test('refuses malformed link flags', async (t) => {
    for (const bad of ['1>1=5=h:1', '1>2=5', 'client>x=5=h:1', '1>2=99999=h:1', '']) t.throws(() => parseLinkFlag(bad), bad);
  });

  t.test('a partition cuts every link touching the replica, peer and client, and heal restores them', async (t) => {
    const s = new PartitionState(new Set([1, 2, 3]));
    s.partition(2);
    t.ok(s.isCut({ from: 1, to: 2 }));
    t.ok(s.isCut({ from: 2, to: 3 }));
    t.ok(s.isCut({ from: undefined, to: 2 }));
    t.notOk(s.isCut({ from: 1, to: 3 }));
    t.notOk(s.isCut({ from: undefined, to: 1 }));
    t.throws(() => s.partition(7), /no replica 7/);
    s.heal();
    t.same(s.partitioned(), []);
    t.notOk(s.isCut({ from: 1, to: 2 }));
  });
});

/** An echo server that remembers its open sockets (closed in teardown). */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const port = await freePort();
  const server = createServer((s) => {
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  return { server, port };
}

/** Connects, sends `text`, resolves with the echo, or rejects when the connection is refused or closed first. */
function roundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(port, HOST);
    let got = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('no answer'));
    }, 5000);
    s.on('data', (d) => {
      got += d.toString();
      if (got === text) {
        clearTimeout(timer);
        s.end();
        resolve(got);
      }
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('close', () => {
      clearTimeout(timer);
      reject(new Error('closed before the echo'));
    });
    s.write(text);
  });
}

async function admin(port: number, method: string, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://${HOST}:${port}${path}`, { method });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

t.test('a real proxy between two echo servers', async (t) => {
  const a = await echoServer();
  const b = await echoServer();
  const [l12, l21, c1, c2, adminPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()] as const;
  const links: Link[] = [
    { kind: 'peer', from: 1, to: 2, listenPort: l12, target: `${HOST}:${b.port}` },
    { kind: 'peer', from: 2, to: 1, listenPort: l21, target: `${HOST}:${a.port}` },
    { kind: 'client', from: undefined, to: 1, listenPort: c1, target: `${HOST}:${a.port}` },
    { kind: 'client', from: undefined, to: 2, listenPort: c2, target: `${HOST}:${b.port}` },
  ];
  const proxy = new FaultProxy(links);
  await proxy.start(adminPort);
  t.teardown(async () => {
    await proxy.close();
    a.server.close();
    b.server.close();
  });

  t.equal(await roundTrip(l12, 'hello'), 'hello', 'a peer link forwards both ways');
  t.equal(await roundTrip(c1, 'client'), 'client', 'a client link forwards both ways');

  // An open connection through a link of replica 2, to be cut.
  const open = connect(l21, HOST);
  open.on('error', () => {});
  await new Promise((resolve) => open.once('connect', resolve));
  const closed = new Promise((resolve) => open.once('close', resolve));

  const cut = await admin(adminPort, 'POST', '/partition?replica=2');
  t.equal(cut.status, 200);
  t.same(cut.body.partitioned, [2]);
  await closed;
  t.pass('the open connection on a link of the partitioned replica was closed');
  await t.rejects(roundTrip(l12, 'x'), 'a new connection to the partitioned replica is refused');
  await t.rejects(roundTrip(c2, 'x'), "the partitioned replica's client link refuses connections");
  t.equal(await roundTrip(c1, 'still'), 'still', 'links not touching the partitioned replica keep working');

  const state = await admin(adminPort, 'GET', '/');
  const rows = state.body.links as { key: string; cut: boolean; refused: number }[];
  t.same(
    rows.filter((r) => r.cut).map((r) => r.key),
    ['1>2', '2>1', 'client>2'],
  );
  t.ok((rows.find((r) => r.key === '1>2')?.refused ?? 0) >= 1, 'the refusal is counted');

  t.equal((await admin(adminPort, 'POST', '/heal')).status, 200);
  t.equal(await roundTrip(l12, 'again'), 'again', 'after heal the link works again');
  t.equal(await roundTrip(c2, 'again'), 'again');

  t.equal((await admin(adminPort, 'POST', '/partition?replica=9')).status, 400, 'an unknown replica is refused');
  t.equal((await admin(adminPort, 'POST', '/partition')).status, 400, 'a missing replica is refused');
  t.equal((await admin(adminPort, 'GET', '/nope')).status, 404);
  t.equal((await admin(adminPort, 'GET', '/healthz')).status, 200);
});
