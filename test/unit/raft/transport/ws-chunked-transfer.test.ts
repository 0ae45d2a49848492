import type { Test } from 'tap';
import t from 'tap';
import { WebSocketServer } from 'ws';
import type { Message, NodeId } from '../../../../raft/core/types.js';
import { crc32c } from '../../../../raft/storage/crc32c.js';
import { OutgoingTransfer } from '../../../../raft/transport/chunk-sender.js';
import { Reassembly } from '../../../../raft/transport/chunk-reassembly.js';
import { type ChunkFrame, decodeFrame, encodeFrame, FRAME_VERSION } from '../../../../raft/transport/codec.js';
import { AcceptorHandshake, CLOSE_CODES } from '../../../../raft/transport/handshake.js';
import { WsTransport, type WsTransportOptions } from '../../../../raft/transport/ws-transport.js';
import { RawClient } from './raw-client.js';
import { CLUSTER_ID, SECRET } from './transport-cluster.js';
import { numbered, pollUntil, silentLogger } from './transport-fixtures.js';

/**
 * Snapshot messages larger than a frame, over real WebSockets on loopback: they cross in chunks
 * without holding up other traffic, and the receiver keeps its bounds against a cut stream or a
 * peer sending garbage chunks.
 */

interface Replica {
  readonly transport: WsTransport;
  readonly received: Message[];
  readonly unreachable: NodeId[];
  readonly url: string;
}

async function replica(t: Test, id: NodeId, options: Partial<WsTransportOptions> = {}): Promise<Replica> {
  const transport = new WsTransport({ id, clusterId: CLUSTER_ID, secret: SECRET, logger: silentLogger, reconnectDelayMaxMs: 250, ...options });
  t.teardown(() => transport.close());
  const received: Message[] = [];
  const unreachable: NodeId[] = [];
  transport.onMessage((m) => received.push(m));
  transport.onUnreachable((p) => unreachable.push(p));
  await transport.start();
  return { transport, received, unreachable, url: `ws://127.0.0.1:${transport.address().port}` };
}

/** A snapshot message whose data is a deterministic pattern of `dataBytes` bytes. */
function bigSnap(from: NodeId, to: NodeId, dataBytes: number, seed: number): Message {
  const data = new Uint8Array(dataBytes);
  const words = new Uint32Array(data.buffer, 0, dataBytes >>> 2);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return { type: 'snap', from, to, term: 3, snapshot: { metadata: { index: 1000 + seed, term: 3, confState: { voters: [1, 2, 3], learners: [] } }, data } };
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** The chunk frames of `msg`, cut as a sending transport would. */
function chunkFrames(id: number, msg: Message, chunkBytes: number): Uint8Array[] {
  const out = new OutgoingTransfer(id, msg, chunkBytes);
  const frames: Uint8Array[] = [];
  while (!out.done) frames.push(out.next());
  return frames;
}

const MiB = 1024 * 1024;

t.test('a 100+ MB snapshot message crosses a real link byte for byte while small messages keep flowing', async (t) => {
  const r1 = await replica(t, 1);
  const r2 = await replica(t, 2);
  r1.transport.addPeer(2, r2.url);
  r2.transport.addPeer(1, r1.url);
  await pollUntil(() => r1.transport.stats().peersConnected === 1 && r2.transport.stats().peersConnected === 1, 'link up');
  const snap = bigSnap(1, 2, 105 * MiB, 7);
  r1.transport.send([snap]);
  // Small messages on every turn until the snapshot is in: they must not wait for it.
  let seq = 0;
  await pollUntil(() => {
    r1.transport.send([numbered(1, 2, ++seq)]);
    return r2.received.some((m) => m.type === 'snap');
  }, 'the snapshot arrives');
  await pollUntil(() => r2.received.length === seq + 1, 'every small message arrives');
  const at = r2.received.findIndex((m) => m.type === 'snap');
  const got = r2.received[at];
  t.ok(at > 0, `small messages sent after the snapshot arrived before it completed (${at} of them)`);
  t.ok(sameBytes(got?.snapshot?.data, snap.snapshot?.data), 'the snapshot data is byte-identical');
  t.same(got?.snapshot?.metadata, snap.snapshot?.metadata);
  t.same({ ...got, snapshot: undefined }, { ...snap, snapshot: undefined }, 'the other fields too');
  t.same(
    r2.received.filter((m) => m.type !== 'snap').map((m) => m.term),
    Array.from({ length: seq }, (_, i) => i + 1),
    'small messages in send order',
  );
  t.ok(r1.transport.stats().framesSent > 26, 'the snapshot went as chunks of at most 4 MiB');
  t.equal(r2.transport.reassemblyBytesHeld(), 0, 'nothing held once it completed');
  t.equal(r2.transport.stats().malformedFrames + r2.transport.stats().oversizedFrames, 0);
  t.equal(r1.transport.stats().messagesDropped.tooLarge, 0);
});

t.test('a chunk stream cut mid-way releases its reassembly buffer, and the next transfer works', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']] });
  const snap = bigSnap(1, 2, 3 * MiB, 11);
  const frames = chunkFrames(1, snap, 256 * 1024);
  const first = await RawClient.connect(t, r2.url);
  await first.handshake(1, 2);
  for (const f of frames.slice(0, 5)) first.send(f);
  await pollUntil(() => r2.transport.reassemblyBytesHeld() > 3 * MiB, 'the receiver holds the partial transfer');
  first.terminate();
  await pollUntil(() => r2.transport.stats().peersConnected === 0, 'the link is gone');
  t.equal(r2.transport.reassemblyBytesHeld(), 0, 'the partial transfer was released with its link');
  t.same(r2.received, [], 'nothing was delivered');

  const second = await RawClient.connect(t, r2.url);
  await second.handshake(1, 2);
  for (const f of chunkFrames(1, snap, 256 * 1024)) second.send(f);
  await pollUntil(() => r2.received.length === 1, 'the retried snapshot arrives');
  t.ok(sameBytes(r2.received[0]?.snapshot?.data, snap.snapshot?.data));
  t.equal(r2.transport.reassemblyBytesHeld(), 0);
  t.equal(r2.transport.stats().malformedFrames, 0);
});

t.test('forged chunks from an authenticated peer are dropped and counted; the link and process carry on', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']], limits: { snapshotBytesMax: 2 * MiB } });
  const raw = await RawClient.connect(t, r2.url);
  await raw.handshake(1, 2);
  const c = (fields: Partial<ChunkFrame> & { readonly data: Uint8Array }): Uint8Array =>
    encodeFrame({ v: FRAME_VERSION, kind: 'chunk', id: 1, index: 0, count: 1, total: fields.data.byteLength, crc: crc32c(fields.data), ...fields });
  const ten = new Uint8Array(10).fill(1);
  const sends: [string, Uint8Array[], 'malformedFrames' | 'oversizedFrames'][] = [
    ['a chunk for an unknown transfer', [c({ id: 77, index: 3, count: 5, total: 50, data: ten })], 'malformedFrames'],
    ['a bad index', [c({ id: 2, count: 5, total: 50, data: ten }), c({ id: 2, index: 2, count: 5, total: 50, data: ten })], 'malformedFrames'],
    ['a total over the cap', [c({ id: 3, count: 1000, total: 2 * MiB + 1, data: ten })], 'oversizedFrames'],
    ['a count mismatch', [c({ id: 4, count: 5, total: 50, data: ten }), c({ id: 4, index: 1, count: 6, total: 50, data: ten })], 'malformedFrames'],
    ['a CRC mismatch', [c({ id: 5, count: 5, total: 50, data: ten, crc: 42 })], 'malformedFrames'],
    ['an index not below the count', [c({ id: 6, index: 5, count: 5, total: 50, data: ten })], 'malformedFrames'],
    [
      'a reassembled frame that is not one snapshot',
      [c({ id: 7, data: encodeFrame({ v: FRAME_VERSION, kind: 'raft', msgs: [numbered(1, 2, 1)] }) })],
      'malformedFrames',
    ],
    ['reassembled bytes that are not msgpack', [c({ id: 8, data: new Uint8Array([0xc1, 0xc1]) })], 'malformedFrames'],
  ];
  let seq = 0;
  for (const [what, frames, counter] of sends) {
    const before = r2.transport.stats()[counter];
    for (const f of frames) raw.send(f);
    // A good message after them: once it is in, they were all handled (frames arrive in order).
    raw.sendFrame({ v: FRAME_VERSION, kind: 'raft', msgs: [numbered(1, 2, ++seq)] });
    await pollUntil(() => r2.received.length === seq, `the message after ${what} arrives`);
    t.equal(r2.transport.stats()[counter], before + 1, `${what}: counted once as ${counter}`);
    t.equal(r2.transport.reassemblyBytesHeld(), 0, `${what}: nothing held`);
  }
  t.same(
    r2.received.map((m) => m.type),
    sends.map(() => 'heartbeat'),
    'only the genuine messages were delivered',
  );
  t.equal(raw.closed, undefined, 'the link stays up');
  const snap = bigSnap(1, 2, MiB, 3);
  for (const f of chunkFrames(9, snap, 100_000)) raw.send(f);
  await pollUntil(() => r2.received.length === seq + 1, 'a genuine chunked snapshot still gets through');
  t.ok(sameBytes(r2.received[seq]?.snapshot?.data, snap.snapshot?.data));
});

t.test('chunks before the handshake are refused like any frame', async (t) => {
  const r2 = await replica(t, 2, { peers: [[1, 'ws://127.0.0.1:9']] });
  const raw = await RawClient.connect(t, r2.url);
  for (const f of chunkFrames(1, bigSnap(1, 2, 1000, 1), 400)) raw.send(f);
  const { code } = await raw.waitClosed();
  t.equal(code, CLOSE_CODES.protocol, 'closed as a protocol error');
  t.equal(r2.transport.reassemblyBytesHeld(), 0);
  t.same(r2.received, []);
});

/**
 * A bare acceptor playing replica 2: answers the handshake, then reassembles chunk frames, and
 * drops the connection after `cutAfter` chunks on the first link (never on later ones).
 */
async function rawAcceptor(t: Test, cutAfter: number): Promise<{ url: string; chunksSeen: () => number; received: Message[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  t.teardown(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  let links = 0;
  let chunksSeen = 0;
  const received: Message[] = [];
  wss.on('connection', (ws) => {
    const first = ++links === 1;
    const acceptor = new AcceptorHandshake({ selfId: 2, clusterId: CLUSTER_ID, secret: SECRET }, () => undefined);
    const reassembly = new Reassembly({ totalBytesMax: 1 << 30, idleTimeoutMs: 60_000 });
    let open = false;
    let chunks = 0;
    ws.send(encodeFrame(acceptor.challenge()));
    ws.on('message', (data: Buffer) => {
      const frame = decodeFrame(new Uint8Array(data), 1 << 30);
      if (!open) {
        ws.send(encodeFrame(acceptor.receive(frame).welcome));
        open = true;
        return;
      }
      if (frame.kind !== 'chunk') return;
      chunksSeen++;
      if (first && ++chunks === cutAfter) {
        ws.terminate();
        return;
      }
      const outcome = reassembly.accept(frame, 0);
      if (outcome.kind !== 'complete') return;
      const whole = decodeFrame(outcome.bytes, 1 << 30, { borrow: true });
      if (whole.kind === 'raft') received.push(...whole.msgs);
    });
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
  return { url: `ws://127.0.0.1:${address.port}`, chunksSeen: () => chunksSeen, received };
}

t.test('a sender whose link drops mid-transfer counts the snapshot lost, reports the peer, and a resend gets through', async (t) => {
  const peer2 = await rawAcceptor(t, 3);
  // A 1 MiB frame limit makes the 8 MiB snapshot go as chunks of 256 KiB.
  const r1 = await replica(t, 1, { limits: { frameBytesMax: MiB, snapshotChunkBytes: 256 * 1024 } });
  r1.transport.addPeer(2, peer2.url);
  await pollUntil(() => r1.transport.stats().peersConnected === 1, 'link up');
  const snap = bigSnap(1, 2, 8 * MiB, 5);
  r1.transport.send([snap]);
  await pollUntil(() => r1.transport.stats().messagesDropped.linkLost === 1, 'the sender counts the snapshot lost');
  await pollUntil(() => r1.unreachable.includes(2), 'and reports the peer unreachable');
  t.equal(r1.transport.stats().messagesSent, 0, 'never counted as sent');
  t.ok(peer2.chunksSeen() < 32, 'the transfer was cut before its end');
  await pollUntil(() => r1.transport.stats().peersConnected === 1, 'redialed');
  r1.transport.send([snap]);
  await pollUntil(() => peer2.received.length === 1, 'the resent snapshot arrives whole');
  t.ok(sameBytes(peer2.received[0]?.snapshot?.data, snap.snapshot?.data));
  t.equal(r1.transport.stats().messagesDropped.linkLost, 1, 'the loss was counted once');
});
