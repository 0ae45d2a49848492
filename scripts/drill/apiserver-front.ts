import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { BackendPicker } from './backend-picker.js';
import { spliceSockets } from './socket-splice.js';

/** How long a connect to one backend may take before the next is tried (loopback answers at once). */
const CONNECT_TIMEOUT_MS = 2000;

export interface FrontFlag {
  readonly listenPort: number;
  readonly backends: readonly string[];
}

/** `LISTEN=HOST:PORT,HOST:PORT…`, the fault proxy's --front flag. */
export function parseFrontFlag(text: string): FrontFlag {
  const m = /^(\d+)=(.+)$/.exec(text);
  const backends = m?.[2]?.split(',') ?? [];
  if (!m || backends.length === 0 || !backends.every((b) => /^[^:]+:\d+$/.test(b))) throw new Error(`--front ${text}: expected LISTEN=HOST:PORT,HOST:PORT…`);
  return { listenPort: Number(m[1]), backends };
}

export function formatFrontFlag(front: FrontFlag): string {
  return `${front.listenPort}=${front.backends.join(',')}`;
}

/**
 * The apiservers' front: one TCP listener whose connections are passed, bytes untouched (TLS
 * runs end to end), to one of several apiservers, as a load balancer does in front of kube's
 * HA control plane. A backend that refuses is skipped for the next one, so kubectl and the
 * components, all given this one address, carry on when an apiserver dies; connections it
 * held break, and their clients reconnect (a watch resumes from its resourceVersion).
 */
export class ApiserverFront {
  private readonly server: Server;
  private readonly picker: BackendPicker;
  private readonly open = new Set<Socket>();
  private accepted = 0;
  private refused = 0;

  constructor(
    readonly flag: FrontFlag,
    private readonly host = '127.0.0.1',
  ) {
    this.picker = new BackendPicker(flag.backends);
    this.server = createServer((s) => this.accept(s));
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port: this.flag.listenPort, host: this.host, exclusive: true }, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  describe(): object {
    return {
      listenPort: this.flag.listenPort,
      backends: this.flag.backends,
      down: this.picker.down(),
      open: this.open.size / 2,
      accepted: this.accepted,
      refused: this.refused,
    };
  }

  close(): Promise<void> {
    for (const s of this.open) s.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
    });
  }

  private accept(inbound: Socket): void {
    inbound.on('error', () => {});
    // Nothing is read until a backend answers; what the client sends waits in the socket.
    inbound.pause();
    this.accepted++;
    void this.dial(this.picker.order()).then((outbound) => {
      if (!outbound || inbound.destroyed) {
        this.refused++;
        outbound?.destroy();
        inbound.resetAndDestroy();
        return;
      }
      this.open.add(inbound).add(outbound);
      spliceSockets(inbound, outbound, () => {
        this.open.delete(inbound);
        this.open.delete(outbound);
      });
      inbound.resume();
    });
  }

  /** The first backend of `order` that accepts a connection; undefined when none does. */
  private async dial(order: readonly string[]): Promise<Socket | undefined> {
    for (const backend of order) {
      const i = backend.lastIndexOf(':');
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = createConnection({ host: backend.slice(0, i), port: Number(backend.slice(i + 1)), timeout: CONNECT_TIMEOUT_MS });
        const fail = (): void => {
          s.destroy();
          resolve(undefined);
        };
        s.once('error', fail);
        s.once('timeout', fail);
        s.once('connect', () => {
          s.off('error', fail);
          s.off('timeout', fail);
          s.setTimeout(0);
          s.on('error', () => {});
          resolve(s);
        });
      });
      if (socket) {
        this.picker.succeeded(backend);
        return socket;
      }
      this.picker.failed(backend);
    }
    return undefined;
  }
}
