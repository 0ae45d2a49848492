import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { WebSocket } from 'ws';
import { StoreCluster, freePort, pollUntil } from '../helpers/store-cluster.js';

const enc = new TextEncoder();

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.split(' ').pop()) : 0;
}

function blast(url: string, frames: (Buffer | string)[]): Promise<void> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => {
      // Close once the last frame is handed to the socket (the server may close first).
      frames.forEach((f, i) => ws.send(f, () => i === frames.length - 1 && ws.close()));
    });
    ws.on('error', () => resolve());
    ws.on('close', () => resolve());
  });
}

t.test('a peer with the wrong secret cannot join, and garbage on either port crashes nothing', async (t) => {
  const cluster = await StoreCluster.start(3, ['--max-peer-frame-bytes', String(1024 * 1024)]);
  t.teardown(() => cluster.stop(!t.passing()));
  const client = cluster.client();
  await client.put('sec/before', enc.encode('1'));

  // An impostor claiming to be replica 2 with the wrong secret dials replica 3 (lower ids dial higher).
  const r3 = cluster.replica(3);
  const fakeSecret = join(cluster.dir, 'wrong-secret');
  writeFileSync(fakeSecret, 'not-the-secret\n');
  const impostorPeer = await freePort();
  const impostorClient = await freePort();
  const peers = cluster.replicas.map((r) => (r.id === 2 ? `2=127.0.0.1:${impostorPeer}` : `${r.id}=127.0.0.1:${r.peerPort}`)).join(',');
  const impostor = {
    id: 2,
    clientPort: impostorClient,
    peerPort: impostorPeer,
    dataDir: join(cluster.dir, 'impostor'),
    logFile: join(cluster.dir, 'impostor.log'),
    proc: undefined,
  };
  cluster.replicas.push(impostor);
  const { spawn } = await import('node:child_process');
  const { openSync } = await import('node:fs');
  const out = openSync(impostor.logFile, 'a');
  const args = cluster.args(impostor).map((a, i, all) => (all[i - 1] === '--peers' ? peers : all[i - 1] === '--secret-file' ? fakeSecret : a));
  (impostor as { proc: unknown }).proc = spawn(process.execPath, args, { stdio: ['ignore', out, out] });

  await pollUntil('replica 3 to refuse the impostor', async () => (await metric(r3.clientPort, 'picokube_store_peer_auth_failures_total')) > 0);
  const impostorReady = await fetch(`http://127.0.0.1:${impostorClient}/readyz`)
    .then((r) => r.ok)
    .catch(() => false);
  t.notOk(impostorReady, 'the impostor never learns of a leader');
  t.match(cluster.log(3), /handshake|refused|secret|auth/i, 'replica 3 logs the refusal');

  // Random bytes, text and an oversized frame at the client port of replica 1.
  const r1 = cluster.replica(1);
  await blast(`ws://127.0.0.1:${r1.clientPort}`, [randomBytes(64), randomBytes(1000), 'not binary', Buffer.from([0xc1])]);
  await blast(`ws://127.0.0.1:${r1.clientPort}`, [randomBytes(5 * 1024 * 1024)]);
  // And at the peer port of replica 3: garbage before any handshake, then a frame over the cap.
  await blast(`ws://127.0.0.1:${r3.peerPort}`, [randomBytes(256), randomBytes(2 * 1024 * 1024)]);

  await pollUntil('the client port to count malformed frames', async () => (await metric(r1.clientPort, 'picokube_store_client_malformed_frames_total')) >= 3);
  await pollUntil(
    'the client port to count the oversized frame',
    async () => (await metric(r1.clientPort, 'picokube_store_client_oversized_frames_total')) >= 1,
  );
  const peerBad = async () =>
    (await metric(r3.clientPort, 'picokube_store_peer_malformed_frames_total')) +
    (await metric(r3.clientPort, 'picokube_store_peer_oversized_frames_total')) +
    (await metric(r3.clientPort, 'picokube_store_peer_auth_failures_total'));
  await pollUntil('the peer port to count the garbage', async () => (await peerBad()) >= 2);

  for (const r of cluster.replicas.slice(0, 3)) t.equal(r.proc?.exitCode, null, `replica ${r.id} is still running`);
  const after = await client.put('sec/after', enc.encode('2'));
  const read = await client.range('sec/', { prefix: true });
  t.equal(read.kvs.length, 2, 'the cluster still reads and writes');
  t.ok(after.revision > 0);
});
