import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';

export interface PeerListenerOptions {
  readonly host: string;
  /** 0 for any free port; read it from `address()`. */
  readonly port: number;
  /** ws `maxPayload`: a larger incoming message closes its connection (1009) before it is decoded. */
  readonly frameBytesMax: number;
  /** A TCP connection that has not become a WebSocket within this time is destroyed. */
  readonly upgradeTimeoutMs: number;
  readonly logger: Logger;
  /** Each new WebSocket; the callee owns it from then on. */
  readonly onConnection: (ws: WebSocket) => void;
}

/**
 * The peer port: an HTTP server that only upgrades to WebSockets, with every TCP connection it
 * accepted tracked until it closes. Plain HTTP requests get 426. A connection that never
 * upgrades (a port scanner, a stuck client) is destroyed after `upgradeTimeoutMs`, and `close()`
 * destroys whatever is left, so closing never waits on a stranger's socket.
 */
export class PeerListener {
  private readonly options: PeerListenerOptions;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  /** Every accepted socket, with its upgrade deadline until it becomes a WebSocket. */
  private readonly sockets = new Map<Socket, NodeJS.Timeout | undefined>();

  constructor(options: PeerListenerOptions) {
    this.options = options;
    this.http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain', connection: 'close' });
      res.end('picokube peer port: WebSocket only\n');
    });
    this.wss = new WebSocketServer({ server: this.http, maxPayload: options.frameBytesMax, perMessageDeflate: false });
    this.http.on('connection', (socket: Socket) => this.track(socket));
    this.wss.on('connection', (ws, req) => {
      this.clearDeadline(req.socket as Socket);
      options.onConnection(ws);
    });
    this.wss.on('error', (err) => options.logger.error({ err: err.message }, 'peer listener error'));
  }

  /** Binds; rejects (EADDRINUSE, EACCES…) if it cannot. */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.http.once('error', onError);
      this.http.listen(this.options.port, this.options.host, () => {
        this.http.off('error', onError);
        this.http.on('error', (err) => this.options.logger.error({ err: err.message }, 'peer listener error'));
        resolve();
      });
    });
  }

  address(): { readonly host: string; readonly port: number } {
    const addr = this.http.address();
    if (!addr || typeof addr === 'string') throw new Error('the peer listener is not listening');
    return { host: addr.address, port: addr.port };
  }

  /**
   * Stops accepting and destroys every socket still open. Close the WebSockets you own first if
   * they deserve a clean close frame.
   */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.wss.close();
      if (!this.http.listening) {
        this.destroyAll();
        resolve();
        return;
      }
      this.http.close(() => resolve());
      this.destroyAll();
    });
  }

  private track(socket: Socket): void {
    const deadline = setTimeout(() => {
      this.options.logger.debug('destroying a peer-port connection that never became a WebSocket');
      socket.destroy();
    }, this.options.upgradeTimeoutMs);
    this.sockets.set(socket, deadline);
    socket.once('close', () => {
      this.clearDeadline(socket);
      this.sockets.delete(socket);
    });
  }

  private clearDeadline(socket: Socket): void {
    const deadline = this.sockets.get(socket);
    if (deadline) clearTimeout(deadline);
    if (this.sockets.has(socket)) this.sockets.set(socket, undefined);
  }

  private destroyAll(): void {
    for (const [socket, deadline] of this.sockets) {
      if (deadline) clearTimeout(deadline);
      socket.destroy();
    }
    this.sockets.clear();
  }
}
