import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';

const corked = new WeakSet<WebSocket>();

/**
 * Sends a frame, holding the socket's writes until the current turn of the event loop has
 * queued all it will: a burst of replies (one applied batch answers many requests) leaves in
 * one writev instead of one system call each. Relies on ws keeping its net.Socket in `_socket`;
 * without one it just sends.
 */
export function sendCorked(ws: WebSocket, data: Uint8Array): void {
  const socket = (ws as unknown as { _socket?: Socket })._socket;
  if (socket && !corked.has(ws)) {
    corked.add(ws);
    socket.cork();
    process.nextTick(() => {
      corked.delete(ws);
      socket.uncork();
    });
  }
  ws.send(data);
}
