import type { Socket } from 'node:net';

/**
 * Pipes two sockets into each other; when either closes, both are destroyed and `onEnd` runs
 * once (a proxy forgets the pair then).
 */
export function spliceSockets(a: Socket, b: Socket, onEnd: () => void): void {
  let ended = false;
  const end = (): void => {
    if (ended) return;
    ended = true;
    a.destroy();
    b.destroy();
    onEnd();
  };
  a.once('close', end);
  b.once('close', end);
  a.pipe(b);
  b.pipe(a);
}
