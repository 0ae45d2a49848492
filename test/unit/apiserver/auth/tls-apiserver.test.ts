import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { authenticationFromFlags } from '../../../../apiserver/auth/authentication-flags.js';
import { requestUser } from '../../../../apiserver/auth/user-info.js';
import { listenInsecure } from '../../../../apiserver/insecure-listener.js';
import { type Apiserver, buildApiserver } from '../../../../apiserver/server.js';
import { RestClient } from '../../../../kube/client/rest-client.js';
import { Resources } from '../../../../kube/client/resource.js';
import type { WatchEvent } from '../../../../kube/client/api-client.js';
import { MemoryStoreClient } from '../../../../raft/client/memory-store-client.js';
import { buildCaCertificate, buildSignedCertificate, newRsaKeyPem } from '../../../../scripts/launcher/certificate-builder.js';
import { ensureClusterPki } from '../../../../scripts/launcher/pki.js';
import { freePort, pollUntil } from '../../../helpers/store-cluster.js';

const dir = mkdtempSync(join(tmpdir(), 'picokube-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pki = ensureClusterPki(dir, { nodeNames: [] });
const tokenFile = join(dir, 'tokens.csv');
writeFileSync(tokenFile, 'good-token,alice,uid-a,"dev,ops"\n');
const read = (f: string): string => readFileSync(f, 'utf8');
const caPem = read(pki.caFile);
const admin = { cert: read(pki.admin.certFile), key: read(pki.admin.keyFile) };

/** An apiserver over TLS on a free port, with the flags given, and a route that says who the request is. */
async function start(flags: Record<string, string>): Promise<{ api: Apiserver; url: string }> {
  const store = new MemoryStoreClient();
  const setup = authenticationFromFlags({
    'tls-cert-file': pki.apiserver.certFile,
    'tls-private-key-file': pki.apiserver.keyFile,
    'client-ca-file': pki.caFile,
    ...flags,
  });
  const api = buildApiserver({ store, logger: pino({ level: 'silent' }), ...setup.apiserverOptions });
  api.app.get('/test/whoami', async (req) => requestUser(req));
  t.teardown(async () => {
    await api.close();
    await store.close();
  });
  await api.startCaches();
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  return { api, url: `https://127.0.0.1:${(api.app.server.address() as AddressInfo).port}` };
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  json: any;
}
function get(url: string, opts: { cert?: string; key?: string; headers?: Record<string, string>; ca?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { ca: opts.ca ?? caPem, agent: false, headers: opts.headers ?? {}, ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on('error', reject);
  });
}

const UNAUTHORIZED = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
const secured = await start({ 'token-auth-file': tokenFile, 'anonymous-auth': 'false' });

t.test('a client certificate of the cluster CA is its CN in its O groups, and system:authenticated', async (t) => {
  const me = await get(`${secured.url}/test/whoami`, admin);
  t.equal(me.status, 200);
  t.same(me.json, { name: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
  t.equal((await get(`${secured.url}/api/v1/namespaces`, admin)).status, 200);
});

t.test('a client certificate from another CA is a 401 Status, not a failed handshake', async (t) => {
  const otherKey = newRsaKeyPem();
  const other = {
    keyPem: otherKey,
    certPem: buildCaCertificate({
      keyPem: otherKey,
      subject: { commonName: 'evil-ca' },
      validity: { notBefore: new Date(), validityDays: 10 },
      serialHex: '01',
    }),
  };
  const key = newRsaKeyPem();
  const cert = buildSignedCertificate({
    ca: other,
    keyPem: key,
    subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
    usage: 'client',
    validity: { notBefore: new Date(), validityDays: 10 },
    serialHex: '02',
  });
  const answer = await get(`${secured.url}/api/v1/namespaces`, { cert, key });
  t.equal(answer.status, 401);
  t.same(answer.json, UNAUTHORIZED);
});

t.test('an expired client certificate of the cluster CA is a 401', async (t) => {
  const key = newRsaKeyPem();
  const ca = { certPem: caPem, keyPem: read(join(pki.dir, 'ca.key')) };
  const cert = buildSignedCertificate({
    ca,
    keyPem: key,
    subject: { commonName: 'jane' },
    usage: 'client',
    validity: { notBefore: new Date(Date.now() - 3 * 86_400_000), validityDays: 1 },
    serialHex: '03',
  });
  t.same(await get(`${secured.url}/test/whoami`, { cert, key }), { status: 401, json: UNAUTHORIZED });
});

t.test('a token of the token file is its user; an unknown one is a 401', async (t) => {
  const me = await get(`${secured.url}/test/whoami`, { headers: { authorization: 'Bearer good-token' } });
  t.same(me, { status: 200, json: { name: 'alice', uid: 'uid-a', groups: ['dev', 'ops', 'system:authenticated'] } });
  t.same(await get(`${secured.url}/test/whoami`, { headers: { authorization: 'Bearer bad-token' } }), { status: 401, json: UNAUTHORIZED });
});

t.test('with anonymous access off, a request with no credential is a 401', async (t) => {
  t.same(await get(`${secured.url}/api/v1/namespaces`), { status: 401, json: UNAUTHORIZED });
  t.same(await get(`${secured.url}/healthz`), { status: 401, json: UNAUTHORIZED }, 'health endpoints too');
});

t.test('with anonymous access on, a request with no credential is system:anonymous; a bad token is still a 401', async (t) => {
  const open = await start({});
  t.same(await get(`${open.url}/test/whoami`), { status: 200, json: { name: 'system:anonymous', groups: ['system:unauthenticated'] } });
  t.equal((await get(`${open.url}/test/whoami`, { headers: { authorization: 'Bearer nope' } })).status, 401);
});

t.test('the server certificate verifies against the cluster CA only', async (t) => {
  const otherKey = newRsaKeyPem();
  const otherCa = buildCaCertificate({
    keyPem: otherKey,
    subject: { commonName: 'other' },
    validity: { notBefore: new Date(), validityDays: 1 },
    serialHex: '05',
  });
  await t.rejects(get(`${secured.url}/healthz`, { ca: otherCa }), /self-signed certificate in certificate chain|unable to verify|unable to get local issuer/);
});

t.test('the kube client speaks https with the CA and a client certificate, requests and watches', async (t) => {
  const client = new RestClient({ server: secured.url, caPem, clientCertPem: admin.cert, clientKeyPem: admin.key });
  t.teardown(() => client.close());
  const events: WatchEvent[] = [];
  const w = client.watch(Resources.namespaces, { resourceVersion: '0' }, (e) => events.push(e));
  t.teardown(() => w.stop());
  await client.create(Resources.namespaces, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'over-tls' } });
  const ns = await client.get(Resources.namespaces, 'over-tls');
  t.equal(ns.metadata.name, 'over-tls');
  await pollUntil('the watch sees the namespace', () => (events.some((e) => e.object.metadata.name === 'over-tls') ? true : undefined), 10_000);
  const anonymousClient = new RestClient({ server: secured.url, caPem });
  t.teardown(() => anonymousClient.close());
  await t.rejects(anonymousClient.get(Resources.namespaces, 'over-tls'), { code: 401, reason: 'Unauthorized' });
  const tokenClient = new RestClient({ server: secured.url, caPem, bearerToken: 'good-token' });
  t.teardown(() => tokenClient.close());
  t.equal((await tokenClient.get(Resources.namespaces, 'over-tls')).metadata.name, 'over-tls');
  const skipVerify = new RestClient({ server: secured.url, insecureSkipTlsVerify: true, bearerToken: 'good-token' });
  t.teardown(() => skipVerify.close());
  t.equal((await skipVerify.get(Resources.namespaces, 'over-tls')).metadata.name, 'over-tls', 'insecure-skip-tls-verify');
  const noCa = new RestClient({ server: secured.url, bearerToken: 'good-token' });
  t.teardown(() => noCa.close());
  await t.rejects(noCa.get(Resources.namespaces, 'over-tls'), { code: 0, reason: 'ServiceUnavailable' }, 'an unverified server is refused');
});

t.test('the insecure port is plain HTTP on loopback where every request is the unsecured user', async (t) => {
  const port = await freePort();
  const server = await listenInsecure(secured.api.app, port);
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(`http://127.0.0.1:${port}/test/whoami`, { agent: false }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  t.same(JSON.parse(body), { name: 'system:unsecured', groups: ['system:masters', 'system:authenticated'] });
  t.equal((server.address() as AddressInfo).address, '127.0.0.1');
});
