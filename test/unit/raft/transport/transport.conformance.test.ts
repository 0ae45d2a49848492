import t from 'tap';
import type { Message, NodeId } from '../../../../raft/core/types.js';
import { type MakeCluster, memCluster, wsCluster } from './transport-cluster.js';
import { entry, everyMessageType, numbered, pollUntil, snapshot } from './transport-fixtures.js';

/**
 * One suite for every implementation of the transport port (transport.ts): what the replica's
 * driver may rely on, whether its peers are in the same process or across WebSockets.
 */

const implementations: Record<string, MakeCluster> = {
  'mem transport': memCluster,
  'ws transport': wsCluster,
};

const seqs = (msgs: readonly Message[]): number[] => msgs.map((m) => m.term);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets the event loop turn, so sends land in different flush passes. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function bigApp(from: NodeId, to: NodeId, seq: number, dataBytes: number): Message {
  return { type: 'app', from, to, term: seq, index: seq, logTerm: 0, entries: [entry(seq + 1, 1, new Uint8Array(dataBytes).fill(seq % 256))] };
}

for (const [name, make] of Object.entries(implementations)) {
  t.test(name, async (t) => {
    t.test('a message of every type arrives with every field intact', async (t) => {
      const c = await make(t, [1, 2]);
      const sent = everyMessageType(1, 2);
      c.get(1).send(sent);
      await pollUntil(() => c.received(2).length === sent.length, 'all arrived');
      t.same(c.received(2), sent);
    });

    t.test('messages arrive in send order on every link, both ways', async (t) => {
      const c = await make(t, [1, 2, 3]);
      const ids = [1, 2, 3];
      for (let round = 0; round < 10; round++) {
        for (const from of ids) {
          for (const to of ids) {
            if (from === to) continue;
            c.get(from).send(range(round * 20 + 1, round * 20 + 20).map((seq) => numbered(from, to, seq)));
          }
        }
        await nextTurn();
      }
      for (const to of ids) {
        for (const from of ids) {
          if (from === to) continue;
          await pollUntil(() => c.receivedFrom(to, from).length === 200, `${to} has 200 messages from ${from}`);
          t.same(seqs(c.receivedFrom(to, from)), range(1, 200), `${from} → ${to} in order`);
        }
      }
    });

    t.test('messages sent in one turn go to a peer in one frame', async (t) => {
      const c = await make(t, [1, 2]);
      await c.linksUp();
      const framesBefore = c.get(2).stats().framesReceived;
      c.get(1).send(range(1, 60).map((seq) => numbered(1, 2, seq)));
      c.get(1).send(range(61, 100).map((seq) => numbered(1, 2, seq)));
      await pollUntil(() => c.received(2).length === 100, 'all arrived');
      t.equal(c.get(2).stats().framesReceived - framesBefore, 1, 'one frame');
      t.equal(c.get(2).stats().messagesReceived, 100);
      await pollUntil(() => c.get(1).stats().framesSent === 1, 'the sender counted it');
      t.equal(c.get(1).stats().messagesSent, 100);
    });

    t.test('a batch larger than a frame goes out as several frames under the limit, in order', async (t) => {
      const c = await make(t, [1, 2], { frameBytesMax: 4096 });
      await c.linksUp();
      c.get(1).send(range(1, 40).map((seq) => bigApp(1, 2, seq, 1000)));
      await pollUntil(() => c.received(2).length === 40, 'all arrived');
      t.same(seqs(c.received(2)), range(1, 40));
      t.ok(c.get(2).stats().framesReceived >= 10, 'split into frames of a few messages each');
      t.equal(c.get(2).stats().oversizedFrames, 0, 'none over the limit');
    });

    t.test('a message to a replica that is not a peer is dropped and counted; send never throws', async (t) => {
      const c = await make(t, [1, 2]);
      t.doesNotThrow(() => c.get(1).send([numbered(1, 99, 1), numbered(1, 1, 2), numbered(1, 2, 3)]));
      t.doesNotThrow(() => c.get(1).send([]));
      await pollUntil(() => c.received(2).length === 1, 'the message to the peer arrived');
      t.equal(c.get(1).stats().messagesDropped.unknownPeer, 2, 'to 99 and to itself');
    });

    t.test('a message larger than a frame is dropped, counted, and its peer reported unreachable', async (t) => {
      const c = await make(t, [1, 2], { frameBytesMax: 4096 });
      await c.linksUp();
      c.get(1).send([bigApp(1, 2, 1, 10_000), numbered(1, 2, 2)]);
      await pollUntil(() => c.received(2).length === 1, 'the small message arrived');
      t.same(seqs(c.received(2)), [2]);
      t.equal(c.get(1).stats().messagesDropped.tooLarge, 1);
      await pollUntil(() => c.unreachable(1).includes(2), '2 reported unreachable');
    });

    t.test('a snapshot larger than snapshotBytesMax is dropped, counted, and its peer reported unreachable', async (t) => {
      const c = await make(t, [1, 2], { frameBytesMax: 4096, snapshotBytesMax: 8192 });
      await c.linksUp();
      c.get(1).send([{ type: 'snap', from: 1, to: 2, term: 1, snapshot: snapshot(10, 1, 10_000) }, numbered(1, 2, 2)]);
      await pollUntil(() => c.received(2).length === 1, 'the small message arrived');
      t.same(seqs(c.received(2)), [2]);
      t.equal(c.get(1).stats().messagesDropped.tooLarge, 1);
      await pollUntil(() => c.unreachable(1).includes(2), '2 reported unreachable');
    });

    t.test('a snapshot larger than a frame but within snapshotBytesMax arrives whole, and small messages still flow', async (t) => {
      const c = await make(t, [1, 2], { frameBytesMax: 4096 });
      await c.linksUp();
      const snap: Message = { type: 'snap', from: 1, to: 2, term: 7, snapshot: snapshot(10, 1, 50_000) };
      c.get(1).send([numbered(1, 2, 1), snap, numbered(1, 2, 2)]);
      c.get(1).send([numbered(1, 2, 3)]);
      await pollUntil(() => c.received(2).length === 4, 'all four arrived');
      const got = c.received(2).find((m) => m.type === 'snap');
      t.same(got, snap, 'the snapshot message is equal field by field, data byte for byte');
      t.same(seqs(c.received(2).filter((m) => m.type !== 'snap')), [1, 2, 3], 'the small ones in order');
      t.equal(c.get(1).stats().messagesDropped.tooLarge, 0);
      t.equal(c.get(2).stats().malformedFrames + c.get(2).stats().oversizedFrames, 0);
    });

    t.test('a peer that goes away is reported unreachable; when it comes back messages flow both ways', async (t) => {
      const c = await make(t, [1, 2, 3]);
      await c.linksUp();
      for (const id of [2, 1]) {
        await c.stop(id);
        const other = id === 1 ? 2 : 1;
        await pollUntil(() => c.unreachable(other).includes(id), `${other} is told ${id} is unreachable`);
        await c.restart(id);
        c.get(other).send([numbered(other, id, 1)]);
        c.get(id).send([numbered(id, other, 1), numbered(id, 3, 1)]);
        await pollUntil(() => c.receivedFrom(id, other).length === 1, `${id} hears from ${other} again`);
        await pollUntil(() => c.receivedFrom(other, id).length >= 1, `${other} hears from ${id} again`);
        await pollUntil(() => c.receivedFrom(3, id).length >= 1, `3 hears from ${id} again`);
        c.received(id).length = 0;
        c.received(other).length = 0;
        c.received(3).length = 0;
      }
      t.pass();
    });

    t.test('while a peer is down its queue stays within bounds, keeping the newest messages', async (t) => {
      const c = await make(t, [1, 2], { queueMessagesMax: 10 });
      await c.linksUp();
      await c.stop(2);
      await pollUntil(() => !c.connected(1, 2), '1 sees 2 down');
      for (let round = 0; round < 4; round++) {
        c.get(1).send(range(round * 25 + 1, round * 25 + 25).map((seq) => numbered(1, 2, seq)));
        await nextTurn();
      }
      await pollUntil(() => c.get(1).stats().messagesDropped.queueFull === 90, '90 dropped');
      t.equal(c.get(1).stats().peers['2']?.queuedMessages, 10, 'ten queued');
      await pollUntil(() => c.unreachable(1).includes(2), '2 reported unreachable');
      await c.restart(2);
      await pollUntil(() => c.received(2).length === 10, 'the queued ten arrive');
      t.same(seqs(c.received(2)), range(91, 100), 'the newest ten, in order');
      t.equal(c.get(1).stats().peers['2']?.queuedMessages, 0);
    });

    t.test('the queue bound in bytes holds too', async (t) => {
      const c = await make(t, [1, 2], { queueBytesMax: 20_000 });
      await c.linksUp();
      await c.stop(2);
      await pollUntil(() => !c.connected(1, 2), '1 sees 2 down');
      for (let round = 0; round < 10; round++) {
        c.get(1).send(range(round * 10 + 1, round * 10 + 10).map((seq) => bigApp(1, 2, seq, 1000)));
        await nextTurn();
        t.ok((c.get(1).stats().peers['2']?.queuedBytes ?? 0) <= 20_000, `within 20 kB after round ${round}`);
      }
      t.ok(c.get(1).stats().messagesDropped.queueFull > 50, 'most were dropped');
      const queued = c.get(1).stats().peers['2']?.queuedMessages ?? 0;
      await c.restart(2);
      await pollUntil(() => c.received(2).length === queued, 'the queue drained');
      t.same(seqs(c.received(2)), range(101 - queued, 100), 'the newest, in order');
    });

    t.test('a full queue drops older messages before a snapshot', async (t) => {
      const c = await make(t, [1, 2], { queueMessagesMax: 5 });
      await c.linksUp();
      await c.stop(2);
      await pollUntil(() => !c.connected(1, 2), '1 sees 2 down');
      c.get(1).send([{ type: 'snap', from: 1, to: 2, term: 0, snapshot: snapshot(50, 1, 100) }]);
      c.get(1).send(range(1, 20).map((seq) => numbered(1, 2, seq)));
      await c.restart(2);
      await pollUntil(() => c.received(2).length === 5, 'the queue arrived');
      t.same(
        c.received(2).map((m) => m.type),
        ['snap', 'heartbeat', 'heartbeat', 'heartbeat', 'heartbeat'],
      );
      t.same(seqs(c.received(2)).slice(1), [17, 18, 19, 20]);
    });

    t.test('a peer added later gets messages; a removed peer gets none', async (t) => {
      const c = await make(t, [1, 2]);
      c.get(1).send([numbered(1, 3, 1)]);
      t.equal(c.get(1).stats().messagesDropped.unknownPeer, 1, 'not a peer yet');
      await c.add(3, [1, 2]);
      c.get(1).send([numbered(1, 3, 2)]);
      c.get(3).send([numbered(3, 1, 1), numbered(3, 2, 1)]);
      await pollUntil(() => c.received(3).length === 1 && c.received(1).length === 1 && c.received(2).length === 1, 'all arrived');
      t.same(seqs(c.received(3)), [2]);
      c.get(1).removePeer(3);
      c.get(1).send([numbered(1, 3, 3)]);
      t.equal(c.get(1).stats().messagesDropped.unknownPeer, 2, 'a peer no more');
      t.equal(c.get(1).stats().peers['3'], undefined, 'gone from the stats');
      c.get(2).send([numbered(2, 3, 1)]);
      await pollUntil(() => c.receivedFrom(3, 2).length === 1, 'other links are unaffected');
      t.same(seqs(c.receivedFrom(3, 1)), [2], 'nothing more from 1');
    });

    t.test('close() stops everything: nothing is delivered or reported after it, send drops', async (t) => {
      const c = await make(t, [1, 2]);
      await c.linksUp();
      const unreachableBefore = c.unreachable(1).length;
      c.get(1).send([numbered(1, 2, 1)]);
      await c.stop(1);
      await c.get(1).close();
      t.doesNotThrow(() => c.get(1).send([numbered(1, 2, 2)]));
      t.ok(c.get(1).stats().messagesDropped.closed >= 1, 'sends after close are dropped and counted');
      c.get(2).send([numbered(2, 1, 1)]);
      await pollUntil(() => !c.connected(2, 1), '2 sees 1 gone');
      await pollUntil(() => c.unreachable(2).includes(1), '2 reports 1 unreachable');
      t.same(c.received(1), [], '1 received nothing after close');
      t.equal(c.unreachable(1).length, unreachableBefore, '1 reported nothing after close');
      t.ok(c.received(2).length <= 1, 'at most the message sent before close arrived');
    });
  });
}
