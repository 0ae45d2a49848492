import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import t from 'tap';
import { authenticationFromFlags } from '../../apiserver/auth/authentication-flags.js';
import { buildApiserver } from '../../apiserver/server.js';
import { MemoryStoreClient } from '../../raft/client/memory-store-client.js';
import { buildCaCertificate, buildSignedCertificate, newRsaKeyPem } from '../../scripts/launcher/certificate-builder.js';
import { type KubeconfigOptions, writeKubeconfig } from '../../scripts/launcher/kubeconfig.js';
import { ensureClusterPki } from '../../scripts/launcher/pki.js';

/**
 * The machine's kubectl against an apiserver serving TLS with the cluster PKI, anonymous access
 * off: it verifies the server with the kubeconfig's CA and authenticates with the admin's client
 * certificate or a token of the token file; with a bad credential it prints kube's "must be
 * logged in" error. (With none at all kubectl prompts for a user name before sending anything:
 * the 401 for no credential is in test/unit/apiserver/auth/tls-apiserver.test.ts.)
 */

const dir = mkdtempSync(join(tmpdir(), 'picokube-kubectl-tls-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pki = ensureClusterPki(dir, { nodeNames: [] });
const read = (f: string): string => readFileSync(f, 'utf8');
const tokenFile = join(dir, 'tokens.csv');
writeFileSync(tokenFile, 'token-of-bob,bob,uid-bob,"system:masters"\n');

const store = new MemoryStoreClient();
const setup = authenticationFromFlags({
  'tls-cert-file': pki.apiserver.certFile,
  'tls-private-key-file': pki.apiserver.keyFile,
  'client-ca-file': pki.caFile,
  'token-auth-file': tokenFile,
  'anonymous-auth': 'false',
});
const api = buildApiserver({ store, logger: pino({ level: 'silent' }), ...setup.apiserverOptions });
t.teardown(async () => {
  await api.close();
  await store.close();
});
await api.startCaches();
await api.app.listen({ port: 0, host: '127.0.0.1' });
const server = `https://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
function kubectl(name: string, config: Omit<KubeconfigOptions, 'server'>, args: string[]): Promise<Run> {
  const file = join(dir, `${name}.kubeconfig`);
  writeKubeconfig(file, { server, ...config });
  return new Promise((resolve) => {
    // One discovery cache for all (it is per server): the admin's run fills it, so the later runs
    // meet the 401 on their request itself, not in discovery (kubectl-protocol.md, 401 row).
    const p = execFile(
      'kubectl',
      ['--kubeconfig', file, ...args],
      { env: { ...process.env, KUBECACHEDIR: join(dir, 'cache') }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
    // kubectl asks for a user name on a terminal when the kubeconfig has no credential; here it reads EOF.
    p.stdin?.end();
  });
}
const caPem = read(pki.caFile);

t.test('kubectl verifies the server with the CA and authenticates with the admin client certificate', async (t) => {
  const r = await kubectl('admin', { caPem, clientCertPem: read(pki.admin.certFile), clientKeyPem: read(pki.admin.keyFile) }, ['get', 'ns']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^default\s+Active/m);
});

t.test('kubectl with a token of the token file is that user', async (t) => {
  const r = await kubectl('token', { caPem, token: 'token-of-bob' }, ['get', 'ns', 'kube-system', '-o', 'name']);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stdout.trim(), 'namespace/kube-system');
});

t.test('with an unknown token, or a client certificate of another CA, kubectl must log in', async (t) => {
  const otherKey = newRsaKeyPem();
  const otherCa = {
    keyPem: otherKey,
    certPem: buildCaCertificate({
      keyPem: otherKey,
      subject: { commonName: 'other-ca' },
      validity: { notBefore: new Date(), validityDays: 1 },
      serialHex: '08',
    }),
  };
  const clientKeyPem = newRsaKeyPem();
  const clientCertPem = buildSignedCertificate({
    ca: otherCa,
    keyPem: clientKeyPem,
    subject: { commonName: 'kubernetes-admin', organizations: ['system:masters'] },
    usage: 'client',
    validity: { notBefore: new Date(), validityDays: 1 },
    serialHex: '09',
  });
  for (const [name, config] of [
    ['bad-token', { caPem, token: 'not-a-token' }],
    ['foreign-cert', { caPem, clientCertPem, clientKeyPem }],
  ] as const) {
    const r = await kubectl(name, config, ['get', 'ns']);
    t.not(r.code, 0, name);
    t.equal(r.stderr.trim().split('\n').at(-1), 'error: You must be logged in to the server (Unauthorized)', name);
  }
});

t.test('kubectl refuses a server its CA did not sign', async (t) => {
  const key = newRsaKeyPem();
  const otherCa = buildCaCertificate({
    keyPem: key,
    subject: { commonName: 'other-ca' },
    validity: { notBefore: new Date(), validityDays: 1 },
    serialHex: '07',
  });
  const r = await kubectl('other-ca', { caPem: otherCa, token: 'token-of-bob' }, ['get', 'ns']);
  t.not(r.code, 0);
  t.match(r.stderr, /x509: certificate signed by unknown authority/);
});
