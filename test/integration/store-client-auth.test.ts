import t from 'tap';
import { WebSocket } from 'ws';
import { storeClientHeaders } from '../../raft/client/client-auth.js';
import { WsStoreClient } from '../../raft/client/ws-store-client.js';
import { loadSecret } from '../../raft/transport/secret.js';
import { pollUntil, StoreCluster } from '../helpers/store-cluster.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The HTTP status a bare WebSocket upgrade gets (101 when accepted). */
function upgradeStatus(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.close();
    });
    ws.on('error', () => resolve(0));
  });
}

t.test('a replica run with --client-auth secret serves only clients that prove the cluster secret, and stays up', async (t) => {
  // One replica is enough: the door is per replica. Started by hand, since the helper's own status client has no secret.
  const cluster = await StoreCluster.prepare(1, ['--client-auth', 'secret']);
  const replica = cluster.replica(1);
  cluster.spawn(replica);
  const clients: WsStoreClient[] = [];
  t.teardown(async () => {
    for (const c of clients) await c.close();
    await cluster.stop(!t.passing());
  });
  const address = `127.0.0.1:${replica.clientPort}`;
  const client = (secret?: Uint8Array): WsStoreClient => {
    const c = new WsStoreClient({ endpoints: [address], requestTimeoutMs: 20_000, ...(secret ? { secret } : {}) });
    clients.push(c);
    return c;
  };

  // The probes stay open: readiness is polled without any credential.
  await pollUntil('the replica to be ready', async () => (await fetch(`http://${address}/readyz`).catch(() => undefined))?.status === 200, 60_000, 100);

  const secret = loadSecret({ file: cluster.secretFile });
  const good = client(secret);
  await good.put('door/k', enc.encode('v1'));
  t.equal(dec.decode((await good.range('door/k')).kvs[0]?.value), 'v1', 'a client with the secret reads and writes');

  const none = client();
  await t.rejects(
    none.put('door/k', enc.encode('intruder')),
    { name: 'StoreError', code: 'Unavailable', message: /401/ },
    'a client without the secret is refused',
  );
  const wrong = client(loadSecret({ value: 'not-the-cluster-secret' }));
  await t.rejects(wrong.range('door/k'), { name: 'StoreError', code: 'Unavailable', message: /401/ }, 'a client with a wrong secret is refused');

  t.equal(await upgradeStatus(`ws://${address}`, {}), 401, 'a bare upgrade without credentials gets 401');
  t.equal(await upgradeStatus(`ws://${address}`, { authorization: 'Bearer 00' }), 401, 'a malformed token gets 401');
  t.equal(await upgradeStatus(`ws://${address}`, { authorization: `Bearer ${'0'.repeat(64)}` }), 401, 'a wrong token gets 401');
  t.equal(await upgradeStatus(`ws://${address}`, storeClientHeaders(secret)), 101, 'the right token is let in');

  t.equal(replica.proc?.exitCode, null, 'the replica is still running');
  t.equal((await fetch(`http://${address}/healthz`)).status, 200);
  t.equal(dec.decode((await good.range('door/k')).kvs[0]?.value), 'v1', 'nothing the refused clients sent was written, and the good client still works');
  t.equal((await fetch(`http://${address}/metrics`)).status, 200, '/metrics answers without credentials');
});
