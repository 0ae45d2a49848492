import t from 'tap';
import type { Message, NodeId } from '../../../../raft/core/types.js';
import { MemHub, type MemTransport } from '../../../../raft/transport/mem-transport.js';
import { entry, numbered, pollUntil } from './transport-fixtures.js';

/** What only the in-memory twin has: a hub that cuts and heals links. */

interface Node {
  readonly transport: MemTransport;
  readonly received: Message[];
  readonly unreachable: NodeId[];
}

async function trio(hub: MemHub): Promise<Node[]> {
  const ids = [1, 2, 3];
  return Promise.all(
    ids.map(async (id) => {
      const transport = hub.transport(id, { peers: ids.filter((p) => p !== id).map((p) => [p, `mem://${p}`] as const) });
      const node: Node = { transport, received: [], unreachable: [] };
      transport.onMessage((m) => node.received.push(m));
      transport.onUnreachable((p) => node.unreachable.push(p));
      await transport.start();
      return node;
    }),
  );
}

const seqs = (msgs: readonly Message[]): number[] => msgs.map((m) => m.term);

t.test('a cut link holds messages back and reports both ends unreachable; healing delivers them in order', async (t) => {
  const hub = new MemHub();
  const [n1, n2] = await trio(hub);
  if (!n1 || !n2) throw new Error('no nodes');
  hub.cut(1, 2);
  n1.transport.send([numbered(1, 2, 1), numbered(1, 2, 2)]);
  n2.transport.send([numbered(2, 1, 1)]);
  n1.transport.send([numbered(1, 3, 1)]);
  await pollUntil(() => n1.unreachable.includes(2) && n2.unreachable.includes(1), 'both ends told');
  await pollUntil(() => n1.transport.stats().peers['3']?.queuedMessages === 0, 'other links unaffected');
  t.same(n2.received, []);
  t.equal(n1.transport.stats().peers['2']?.queuedMessages, 2);
  hub.heal(1, 2);
  await pollUntil(() => n2.received.length === 2 && n1.received.length === 1, 'held messages arrive');
  t.same(seqs(n2.received), [1, 2]);
});

t.test('a one-way cut stops only its direction', async (t) => {
  const hub = new MemHub();
  const [n1, n2] = await trio(hub);
  if (!n1 || !n2) throw new Error('no nodes');
  hub.cutOneWay(1, 2);
  n1.transport.send([numbered(1, 2, 1)]);
  n2.transport.send([numbered(2, 1, 1)]);
  await pollUntil(() => n1.received.length === 1, '2 → 1 flows');
  t.same(n2.received, []);
  t.ok(n1.unreachable.includes(2));
  t.notOk(n2.unreachable.includes(1));
  hub.healAll();
  await pollUntil(() => n2.received.length === 1, '1 → 2 flows after healing');
});

t.test('an isolated replica reaches no one and no one reaches it', async (t) => {
  const hub = new MemHub();
  const [n1, n2, n3] = await trio(hub);
  if (!n1 || !n2 || !n3) throw new Error('no nodes');
  hub.isolate(3);
  n3.transport.send([numbered(3, 1, 1), numbered(3, 2, 1)]);
  n1.transport.send([numbered(1, 3, 1), numbered(1, 2, 1)]);
  await pollUntil(() => n2.received.length === 1, '1 → 2 still flows');
  t.same(n1.received, []);
  t.same(n3.received, []);
  t.equal(n3.transport.stats().peersConnected, 0);
  t.equal(n1.transport.stats().peersConnected, 1);
});

t.test('a replica id has one open transport at a time; a closed one can be replaced', async (t) => {
  const hub = new MemHub();
  const first = hub.transport(1);
  t.throws(() => hub.transport(1), /already has an open transport/);
  await first.close();
  t.doesNotThrow(() => hub.transport(1));
});

t.test('messages cross the real codec: one it would refuse is lost, and counted at the receiver', async (t) => {
  const hub = new MemHub();
  const [n1, n2] = await trio(hub);
  if (!n1 || !n2) throw new Error('no nodes');
  const gap: Message = { type: 'app', from: 1, to: 2, term: 1, index: 5, logTerm: 1, entries: [entry(7, 1)] };
  n1.transport.send([gap]);
  await pollUntil(() => n2.transport.stats().malformedFrames === 1, 'the receiver refuses the frame');
  n1.transport.send([numbered(1, 2, 1)]);
  await pollUntil(() => n2.received.length === 1, 'the next frame is fine');
  t.same(seqs(n2.received), [1]);
  const data = new Uint8Array([1, 2, 3]);
  n1.transport.send([{ type: 'app', from: 1, to: 2, term: 1, index: 0, logTerm: 0, entries: [entry(1, 1, data)] }]);
  await pollUntil(() => n2.received.length === 2, 'arrived');
  data[0] = 9;
  t.same(n2.received[1]?.entries?.[0]?.data, new Uint8Array([1, 2, 3]), 'the receiver has a copy, as over a wire');
});
