import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Registry } from 'prom-client';
import type { Test } from 'tap';
import t from 'tap';
import { pack } from 'msgpackr';
import type { Message, NodeId } from '../../../../raft/core/types.js';
import { type Frame, FRAME_VERSION } from '../../../../raft/transport/codec.js';
import { CLOSE_CODES } from '../../../../raft/transport/handshake.js';
import { closeReason } from '../../../../raft/transport/ws-connection.js';
import { WsTransport, type WsTransportOptions } from '../../../../raft/transport/ws-transport.js';
import { RawClient } from './raw-client.js';
import { CLUSTER_ID, SECRET } from './transport-cluster.js';
import { numbered, pollUntil, silentLogger } from './transport-fixtures.js';

/**
 * What only the WebSocket transport has: the handshake on real sockets, a hostile or confused
 * client on the peer port, reconnection, and leaving nothing open behind.
 */

interface Replica {
  readonly transport: WsTransport;
  readonly received: Message[];
  readonly url: string;
}

async function replica(t: Test, id: NodeId, options: Partial<WsTransportOptions> = {}): Promise<Replica> {
  const transport = new WsTransport({ id, clusterId: CLUSTER_ID, secret: SECRET, logger: silentLogger, reconnectDelayMaxMs: 250, ...options });
  t.teardown(() => transport.close());
  const received: Message[] = [];
  transport.onMessage((m) => received.push(m));
  await transport.start();
  return { transport, received, url: `ws://127.0.0.1:${transport.address().port}` };
}

/** Makes `a` and `b` peers of each other. */
function link(a: Replica, aId: NodeId, b: Replica, bId: NodeId): void {
  a.transport.addPeer(bId, b.url);
  b.transport.addPeer(aId, a.url);
}

const raft = (...msgs: Message[]): Frame => ({ v: FRAME_VERSION, kind: 'raft', msgs });

/** Both directions between two replicas still carry messages. */
async function stillWorks(a: Replica, aId: NodeId, b: Replica, bId: NodeId, seq: number): Promise<void> {
  a.transport.send([numbered(aId, bId, seq)]);
  b.transport.send([numbered(bId, aId, seq)]);
  await pollUntil(() => a.received.some((m) => m.term === seq) && b.received.some((m) => m.term === seq), 'messages flow both ways');
}

/** The transport still answers: a raw authenticated peer gets through. */
async function stillWorksAlone(t: Test, r: Replica): Promise<void> {
  r.transport.addPeer(1, 'ws://127.0.0.1:9');
  const before = r.received.length;
  const raw = await RawClient.connect(t, r.url);
  await raw.handshake(1, 2);
  raw.sendFrame(raft(numbered(1, 2, 99)));
  await pollUntil(() => r.received.length > before, 'a message gets through');
}

t.test('three replicas authenticate each other over loopback and exchange messages', async (t) => {
  const [r1, r2, r3] = await Promise.all([replica(t, 1), replica(t, 2), replica(t, 3)]);
  if (!r1 || !r2 || !r3) throw new Error('unreachable');
  link(r1, 1, r2, 2);
  link(r1, 1, r3, 3);
  link(r2, 2, r3, 3);
  await pollUntil(() => [r1, r2, r3].every((r) => r.transport.stats().peersConnected === 2), 'all links up');
  await stillWorks(r1, 1, r2, 2, 1);
  await stillWorks(r2, 2, r3, 3, 2);
  await stillWorks(r3, 3, r1, 1, 3);
  for (const r of [r1, r2, r3]) t.equal(r.transport.stats().authFailures, 0);
});

t.test('a replica with the wrong secret is refused on both ends and delivers nothing', async (t) => {
  const r1 = await replica(t, 1, { secret: new TextEncoder().encode('not the secret') });
  const r2 = await replica(t, 2);
  link(r1, 1, r2, 2);
  r1.transport.send([numbered(1, 2, 1)]);
  await pollUntil(() => r2.transport.authFailuresByReason().get('badMac') !== undefined, 'the acceptor refuses the hello');
  await pollUntil(() => r1.transport.authFailuresByReason().get('refused') !== undefined, 'the dialer learns it was refused');
  t.same(r2.received, []);
  t.equal(r2.transport.stats().peersConnected, 0);
  t.equal(r1.transport.stats().peersConnected, 0);
  t.ok(r2.transport.stats().authFailures >= 1);
});

t.test('a replica id the acceptor does not know is refused', async (t) => {
  const r10 = await replica(t, 10, { peers: [[1, 'ws://127.0.0.1:9']] });
  const r4 = await replica(t, 4, { peers: [[10, r10.url]] });
  r4.transport.send([numbered(4, 10, 1)]);
  await pollUntil(() => r10.transport.authFailuresByReason().get('unknownPeer') !== undefined, 'refused as unknown');
  t.same(r10.received, []);
  t.equal(r4.transport.stats().peersConnected, 0);
});

t.test('a replica of another cluster is refused, even with the secret', async (t) => {
  const r1 = await replica(t, 1, { clusterId: 'another-cluster' });
  const r2 = await replica(t, 2);
  link(r1, 1, r2, 2);
  await pollUntil(() => r2.transport.authFailuresByReason().get('wrongCluster') !== undefined, 'refused as another cluster');
  t.equal(r2.transport.stats().peersConnected, 0);
});

t.test('a client that never answers the challenge is cut off at the handshake deadline', async (t) => {
  const r2 = await replica(t, 2, { handshakeTimeoutMs: 200 });
  const raw = await RawClient.connect(t, r2.url);
  const { code } = await raw.waitClosed();
  t.equal(code, CLOSE_CODES.timeout);
  t.equal(r2.transport.authFailuresByReason().get('timeout'), 1);
});

t.test('random bytes on the peer port are dropped and counted, and the transport keeps working', async (t) => {
  const r1 = await replica(t, 1);
  const r2 = await replica(t, 2);
  link(r1, 1, r2, 2);
  const raw = await RawClient.connect(t, r2.url);
  raw.send(new Uint8Array(randomBytes(300)));
  const { code } = await raw.waitClosed();
  t.equal(code, CLOSE_CODES.protocol, 'an unauthenticated client gets no second chance');
  t.equal(r2.transport.stats().malformedFrames, 1);
  const text = await RawClient.connect(t, r2.url);
  text.send('GET / HTTP/1.1');
  await text.waitClosed();
  t.equal(r2.transport.stats().malformedFrames, 2, 'a text message is malformed too');
  await stillWorks(r1, 1, r2, 2, 7);
});

t.test('garbage whose error text is long multi-byte UTF-8 still closes cleanly (the close reason is cut to 123 bytes)', async (t) => {
  const r1 = await replica(t, 1);
  const r2 = await replica(t, 2);
  link(r1, 1, r2, 2);
  // msgpackr quotes what it read in its error; 100 two-byte characters and a trailing byte make
  // a message far over the 123 bytes a close frame may carry. ws throws on a longer reason,
  // which once crashed the replica.
  const raw = await RawClient.connect(t, r2.url);
  raw.send(new Uint8Array(Buffer.concat([pack('é'.repeat(100)), Buffer.from([0xc0])])));
  const { code, reason } = await raw.waitClosed();
  t.equal(code, CLOSE_CODES.protocol);
  t.ok(Buffer.byteLength(reason) <= 123, 'the reason fits a close frame');
  t.match(reason, /malformed peer frame/);
  await stillWorks(r1, 1, r2, 2, 9);
});

t.test('closeReason keeps short reasons and cuts long ones on a character boundary', async (t) => {
  t.equal(closeReason('bye'), 'bye');
  const cut = closeReason('x' + '€'.repeat(60));
  t.ok(Buffer.byteLength(cut) <= 123);
  t.equal(cut, 'x' + '€'.repeat(40), 'three-byte characters are never split');
  t.equal(closeReason('a'.repeat(200)).length, 123);
});

t.test('an oversized frame is refused before decoding, counted, and the transport keeps working', async (t) => {
  const limits = { frameBytesMax: 64 * 1024 };
  const r1 = await replica(t, 1, { limits });
  const r2 = await replica(t, 2, { limits });
  link(r1, 1, r2, 2);
  const raw = await RawClient.connect(t, r2.url);
  raw.send(new Uint8Array(100 * 1024));
  const { code } = await raw.waitClosed();
  t.equal(code, 1009, 'closed as "message too big"');
  t.equal(r2.transport.stats().oversizedFrames, 1);
  t.equal(r2.transport.stats().malformedFrames, 0);
  await stillWorks(r1, 1, r2, 2, 8);
});

t.test('raft frames before the handshake are refused', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']] });
  const raw = await RawClient.connect(t, r2.url);
  raw.sendFrame(raft(numbered(1, 2, 1)));
  const { code } = await raw.waitClosed();
  t.equal(code, CLOSE_CODES.protocol);
  t.same(r2.received, []);
});

t.test('an authenticated peer is only heard for messages from its own id to us', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']] });
  const raw = await RawClient.connect(t, r2.url);
  await raw.handshake(1, 2);
  t.equal(raw.frames[1]?.kind, 'welcome', 'welcomed');
  await pollUntil(() => r2.transport.stats().peersConnected === 1, 'the acceptor counts the link');
  raw.sendFrame(raft(numbered(3, 2, 1), numbered(1, 2, 2), numbered(1, 5, 3)));
  await pollUntil(() => r2.received.length === 1, 'the genuine message arrives');
  t.same(r2.received, [numbered(1, 2, 2)]);
  t.equal(r2.transport.stats().messagesDropped.wrongSender, 2);
  raw.send(new Uint8Array(randomBytes(64)));
  raw.sendFrame(raft(numbered(1, 2, 4)));
  await pollUntil(() => r2.received.length === 2, 'the link survives a malformed frame from a proven peer');
  t.equal(r2.transport.stats().malformedFrames, 1);
  t.equal(raw.closed, undefined);
});

t.test('a higher id dialing a lower one is refused: only the lower id dials', async (t) => {
  const r2 = await replica(t, 2, { peers: [[3, 'ws://127.0.0.1:9']] });
  const raw = await RawClient.connect(t, r2.url);
  await raw.handshake(3, 2);
  const { code } = await raw.waitClosed();
  t.equal(code, CLOSE_CODES.wrongDirection);
});

t.test('a newer link from a peer replaces the older one', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']] });
  const first = await RawClient.connect(t, r2.url);
  await first.handshake(1, 2);
  const second = await RawClient.connect(t, r2.url);
  await second.handshake(1, 2);
  t.equal((await first.waitClosed()).code, CLOSE_CODES.replaced);
  r2.transport.send([numbered(2, 1, 1)]);
  await pollUntil(() => second.frames.some((f) => f.kind === 'raft'), 'messages go on the newer link');
});

t.test('a peer link that falls silent is dropped and the peer reported unreachable', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']], keepaliveIntervalMs: 50 });
  const unreachable: NodeId[] = [];
  r2.transport.onUnreachable((p) => unreachable.push(p));
  // A peer that answers no ping, as a paused (SIGSTOP) process would.
  const silent = await RawClient.connect(t, r2.url, { autoPong: false });
  await silent.handshake(1, 2);
  await pollUntil(() => r2.transport.stats().peersConnected === 1, 'the link is up');
  await silent.waitClosed();
  await pollUntil(() => r2.transport.stats().peersConnected === 0 && unreachable.includes(1), 'dropped and reported');
  t.pass();
});

t.test('too many pending handshakes are refused', async (t) => {
  const r2 = await replica(t, 2, { pendingHandshakesMax: 2 });
  await RawClient.connect(t, r2.url);
  await RawClient.connect(t, r2.url);
  const third = await RawClient.connect(t, r2.url);
  t.equal((await third.waitClosed()).code, CLOSE_CODES.busy);
});

t.test('a replica that restarts on the same port is dialed again and messages flow', async (t) => {
  const r1 = await replica(t, 1);
  let r2 = await replica(t, 2);
  link(r1, 1, r2, 2);
  await stillWorks(r1, 1, r2, 2, 1);
  const { port } = r2.transport.address();
  await r2.transport.close();
  await pollUntil(() => r1.transport.stats().peersConnected === 0, 'the link is down');
  r1.transport.send([numbered(1, 2, 2)]);
  r2 = await replica(t, 2, { port, peers: [[1, r1.url]] });
  await pollUntil(() => r2.received.some((m) => m.term === 2), 'the message queued meanwhile arrives');
  await stillWorks(r1, 1, r2, 2, 3);
});

t.test('start() fails if the peer port is taken, and close() still resolves', async (t) => {
  const r1 = await replica(t, 1);
  const clash = new WsTransport({ id: 2, clusterId: CLUSTER_ID, secret: SECRET, logger: silentLogger, port: r1.transport.address().port });
  await t.rejects(clash.start(), { code: 'EADDRINUSE' });
  await clash.close();
});

t.test('metrics go into a prom-client registry under picokube_store_peer_*', async (t) => {
  const registry = new Registry();
  const r1 = await replica(t, 1, { registry });
  const r2 = await replica(t, 2);
  link(r1, 1, r2, 2);
  await stillWorks(r1, 1, r2, 2, 1);
  r1.transport.send([numbered(1, 42, 1)]);
  const text = await registry.metrics();
  t.match(text, /picokube_store_peer_frames_sent_total [1-9]/);
  t.match(text, /picokube_store_peer_messages_received_total [1-9]/);
  t.match(text, /picokube_store_peer_messages_dropped_total\{reason="unknownPeer"\} 1/);
  t.match(text, /picokube_store_peer_connected 1/);
});

/** Whether anything still listens on `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

t.test('the peer port answers plain HTTP with 426 and drops connections that never upgrade', async (t) => {
  const r2 = await replica(t, 2, { handshakeTimeoutMs: 200 });
  const { port } = r2.transport.address();
  const res = await fetch(`http://127.0.0.1:${port}/`);
  t.equal(res.status, 426);
  await res.text();
  const idle = connect(port, '127.0.0.1');
  let closed = false;
  idle.on('close', () => {
    closed = true;
  });
  idle.on('error', () => {});
  await pollUntil(() => closed, 'the idle connection is destroyed');
  await stillWorksAlone(t, r2);
});

t.test('close() does not wait on a connection that never upgraded', async (t) => {
  const r2 = await replica(t, 2, { handshakeTimeoutMs: 600_000 });
  const idle = connect(r2.transport.address().port, '127.0.0.1');
  idle.on('error', () => {});
  await new Promise<void>((resolve) => idle.once('connect', () => resolve()));
  let closed = false;
  void r2.transport.close().then(() => {
    closed = true;
  });
  await pollUntil(() => closed, 'close() resolves');
  t.pass();
});

/** How many handles of each kind hold the event loop open. */
function handles(): { readonly tcp: number; readonly timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    tcp: info.filter((r) => r === 'TCPServerWrap' || r === 'TCPSocketWrap').length,
    timers: info.filter((r) => r === 'Timeout').length,
  };
}

t.test('close() leaves no listener, socket or timer behind', async (t) => {
  const before = handles();
  const replicas = await Promise.all([1, 2, 3].map((id) => replica(t, id, { keepaliveIntervalMs: 50 })));
  for (const [i, a] of replicas.entries()) for (const [j, b] of replicas.entries()) if (i < j) link(a, i + 1, b, j + 1);
  await pollUntil(() => replicas.every((r) => r.transport.stats().peersConnected === 2), 'all links up');
  t.ok(handles().tcp > before.tcp, 'the transports hold sockets while running');
  replicas[0]?.transport.send([numbered(1, 2, 1)]);
  const ports = replicas.map((r) => r.transport.address().port);
  await Promise.all(replicas.map((r) => r.transport.close()));
  for (const port of ports) t.notOk(await accepts(port), `nothing listens on ${port}`);
  await pollUntil(() => handles().tcp <= before.tcp, 'every TCP handle is released');
  await pollUntil(() => handles().timers <= before.timers, 'every timer is cleared');
});
