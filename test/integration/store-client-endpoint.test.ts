import t from 'tap';
import { WebSocket } from 'ws';
import { decodeServerFrame, encodeFrame, type ServerFrame } from '../../raft/client/protocol.js';
import type { WatchResponse } from '../../raft/kv/watch-hub.js';
import { pollUntil, StoreCluster } from '../helpers/store-cluster.js';

/**
 * The replica's client endpoint spoken to frame by frame, the way no well-behaved client would:
 * one connection naming another's watch, and the periodic progress notifications of
 * --watch-progress-notify-interval-ms, on a one-replica cluster.
 */

/** One raw protocol connection: requests with replies, and every watch frame it receives. */
class RawConnection {
  readonly watchFrames: WatchResponse[] = [];
  private readonly replies = new Map<number, (frame: ServerFrame) => void>();
  private seq = 0;

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = decodeServerFrame(data);
      if ('w' in frame) this.watchFrames.push(frame.r);
      else if ('id' in frame) this.replies.get(frame.id)?.(frame);
    });
  }

  static open(address: string): Promise<RawConnection> {
    const ws = new WebSocket(`ws://${address}`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawConnection(ws)));
      ws.once('error', reject);
    });
  }

  /** Sends one request; resolves with its result, rejects with its error code. */
  request(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (frame) => {
        this.replies.delete(id);
        if ('ok' in frame && frame.ok) resolve(frame.result as Record<string, unknown>);
        else reject(new Error('ok' in frame && !frame.ok ? frame.error.code : 'bad reply'));
      });
      this.ws.send(encodeFrame({ ...body, id }));
    });
  }

  kinds(watchId: number): string[] {
    return this.watchFrames.filter((r) => r.watchId === watchId).map((r) => r.kind);
  }

  close(): void {
    this.ws.terminate();
  }
}

const cluster = await StoreCluster.start(1, ['--watch-progress-notify-interval-ms', '200']);
t.teardown(() => cluster.stop(!t.passing()));
const address = cluster.endpoints[0] as string;
const value = new TextEncoder().encode('v');

t.test('a connection cannot cancel or ask progress of a watch another connection holds', async (t) => {
  const owner = await RawConnection.open(address);
  const other = await RawConnection.open(address);
  t.teardown(() => {
    owner.close();
    other.close();
  });
  const { watchId } = (await owner.request({ op: 'watch', key: '/own/', options: { prefix: true } })) as { watchId: number };
  t.same(await other.request({ op: 'cancelWatch', watchId }), { cancelled: false }, 'another connection’s cancel is refused');
  t.same(await other.request({ op: 'progress', watchId }), { sent: false }, 'and so is its progress request');
  await owner.request({ op: 'write', command: { t: 'put', key: '/own/k', value } });
  await pollUntil('the owner’s watch delivers the put', () => owner.kinds(watchId).includes('events'), 10_000);
  t.same(owner.kinds(watchId), ['created', 'events'], 'the watch lives on, with no stray progress or cancel');
  t.same(await owner.request({ op: 'cancelWatch', watchId }), { cancelled: true }, 'its own connection may cancel it');
  t.same(owner.kinds(watchId).slice(-1), ['cancelled']);
});

t.test('a watch that asked for progress notifications gets the current revision periodically while idle; one that did not gets none', async (t) => {
  const conn = await RawConnection.open(address);
  t.teardown(() => conn.close());
  const { watchId: notified } = (await conn.request({ op: 'watch', key: '/idle/', options: { prefix: true, progressNotify: true } })) as { watchId: number };
  const { watchId: plain } = (await conn.request({ op: 'watch', key: '/idle/', options: { prefix: true } })) as { watchId: number };
  const put = (await conn.request({ op: 'write', command: { t: 'put', key: '/idle/k', value } })) as { revision: number };
  // A notification may come before the put is applied (the watch was idle then too): count those after its event.
  const afterPut = (): { kind: string; revision?: number }[] => {
    const frames = conn.watchFrames.filter((r) => r.watchId === notified);
    const at = frames.findIndex((r) => r.kind === 'events');
    return at < 0 ? [] : frames.slice(at + 1).filter((r) => r.kind === 'progress');
  };
  await pollUntil('two periodic progress notifications after the put', () => afterPut().length >= 2, 15_000);
  t.ok(
    afterPut().every((r) => (r.revision ?? 0) >= put.revision),
    'each at the current revision, at or after the last write',
  );
  t.same(conn.kinds(plain), ['created', 'events'], 'the watch without progressNotify got no progress');
});
