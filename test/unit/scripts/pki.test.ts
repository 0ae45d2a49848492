import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ADMIN_USER, ensureClusterPki } from '../../../scripts/launcher/pki.js';

const dir = mkdtempSync(join(tmpdir(), 'picokube-pki-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const pki = ensureClusterPki(dir, { nodeNames: ['node-1'] });
const cert = (file: string): X509Certificate => new X509Certificate(readFileSync(file));

t.test('every PKI file is readable by its owner only, in an owner-only directory', async (t) => {
  t.equal(statSync(pki.dir).mode & 0o777, 0o700);
  const files = [
    pki.caFile,
    join(pki.dir, 'ca.key'),
    pki.apiserver.certFile,
    pki.apiserver.keyFile,
    pki.admin.keyFile,
    pki.scheduler.keyFile,
    pki.controllerManager.keyFile,
  ];
  for (const f of files) t.equal(statSync(f).mode & 0o777, 0o600, f);
});

t.test('the serving certificate names loopback and the kubernetes Service, and the CA signed it', async (t) => {
  const ca = cert(pki.caFile);
  t.ok(ca.ca, 'the CA is a CA');
  const serving = cert(pki.apiserver.certFile);
  t.ok(serving.verify(ca.publicKey), 'signed by the CA');
  const san = serving.subjectAltName ?? '';
  for (const name of [
    'DNS:localhost',
    'DNS:kubernetes',
    'DNS:kubernetes.default',
    'DNS:kubernetes.default.svc',
    'DNS:kubernetes.default.svc.cluster.local',
    'IP Address:127.0.0.1',
    'IP Address:10.96.0.1',
  ]) {
    t.ok(san.split(', ').includes(name), `${name} in ${san}`);
  }
  t.ok(serving.checkIP('127.0.0.1'));
  t.notOk(serving.ca);
  t.ok(Date.parse(ca.validTo) - Date.now() > 9 * 365 * 24 * 3600 * 1000, 'the CA lasts about 10 years');
});

t.test('client certificates carry the user as CN and the groups as O', async (t) => {
  t.equal(cert(pki.admin.certFile).subject, `CN=${ADMIN_USER}\nO=system:masters`);
  t.equal(cert(pki.scheduler.certFile).subject, 'CN=system:kube-scheduler');
  t.equal(cert(pki.controllerManager.certFile).subject, 'CN=system:kube-controller-manager');
  const node = pki.nodes.get('node-1');
  t.ok(node);
  t.equal(cert(node?.certFile ?? '').subject, 'CN=system:node:node-1\nO=system:nodes');
});

t.test('a restart reuses every file and adds certificates for new nodes only', async (t) => {
  const before = readFileSync(pki.caFile, 'utf8');
  const adminBefore = readFileSync(pki.admin.keyFile, 'utf8');
  const again = ensureClusterPki(dir, { nodeNames: ['node-1', 'node-2'] });
  t.equal(readFileSync(again.caFile, 'utf8'), before, 'same CA');
  t.equal(readFileSync(again.admin.keyFile, 'utf8'), adminBefore, 'same admin key');
  const node2 = cert(again.nodes.get('node-2')?.certFile ?? '');
  t.equal(node2.subject, 'CN=system:node:node-2\nO=system:nodes');
  t.ok(node2.verify(cert(again.caFile).publicKey));
});

t.test('a certificate near its end is renewed on the next start', async (t) => {
  const adminBefore = readFileSync(pki.admin.certFile, 'utf8');
  const later = new Date(Date.now() + 340 * 24 * 3600 * 1000);
  const again = ensureClusterPki(dir, { nodeNames: [], now: later });
  t.not(readFileSync(again.admin.certFile, 'utf8'), adminBefore, 'renewed');
  t.equal(readFileSync(again.caFile, 'utf8'), readFileSync(pki.caFile, 'utf8'), 'the CA stays');
});
