import type { Test } from 'tap';
import WebSocket from 'ws';
import type { NodeId } from '../../../../raft/core/types.js';
import { decodeFrame, encodeFrame, type Frame } from '../../../../raft/transport/codec.js';
import { DialerHandshake } from '../../../../raft/transport/handshake.js';
import { CLUSTER_ID, SECRET } from './transport-cluster.js';
import { pollUntil } from './transport-fixtures.js';

/** A bare WebSocket client on a peer port, to play a confused or hostile peer. */
export class RawClient {
  readonly frames: Frame[] = [];
  closed: { readonly code: number; readonly reason: string } | undefined;
  private readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer) => {
      try {
        this.frames.push(decodeFrame(new Uint8Array(data)));
      } catch {
        // the transport never sends malformed frames; ignore
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {});
  }

  static async connect(t: Test, url: string, options: { readonly autoPong?: boolean } = {}): Promise<RawClient> {
    const ws = new WebSocket(url, { perMessageDeflate: false, autoPong: options.autoPong ?? true });
    const client = new RawClient(ws);
    t.teardown(() => ws.terminate());
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(data: Uint8Array | string): void {
    this.ws.send(data);
  }

  /** Drops the connection without a close handshake, as a crash or a cut cable would. */
  terminate(): void {
    this.ws.terminate();
  }

  sendFrame(frame: Frame): void {
    this.ws.send(encodeFrame(frame));
  }

  /** Runs the dialer's side of the handshake as replica `id`; resolves once welcomed or closed. */
  async handshake(id: NodeId, peerId: NodeId, secret = SECRET): Promise<void> {
    const dialer = new DialerHandshake({ selfId: id, clusterId: CLUSTER_ID, secret }, peerId);
    await pollUntil(() => this.frames.length >= 1, 'the challenge arrives');
    const step = dialer.receive(this.frames[0] as Frame);
    if (step.kind !== 'reply') throw new Error('expected to reply to the challenge');
    this.sendFrame(step.hello);
    await pollUntil(() => this.frames.length >= 2 || this.closed !== undefined, 'welcomed or refused');
  }

  async waitClosed(): Promise<{ readonly code: number; readonly reason: string }> {
    await pollUntil(() => this.closed !== undefined, 'the transport closes the connection');
    return this.closed ?? { code: 0, reason: '' };
  }
}
