import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ConnectionConfigError, parseKubeconfig, restClientOptionsFromFlags } from '../../../../kube/client/connection-flags.js';
import { renderKubeconfig } from '../../../../scripts/launcher/kubeconfig.js';

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-flags-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('--apiserver wins over a kubeconfig', async (t) => {
  const opts = restClientOptionsFromFlags({ apiserver: 'http://127.0.0.1:7000', kubeconfig: '/nonexistent' }, { userAgent: 'x' }, {});
  t.same(opts, { userAgent: 'x', server: 'http://127.0.0.1:7000' });
});

t.test('the launcher kubeconfig gives the server and the token of its current context', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'kubeconfig');
  writeFileSync(file, renderKubeconfig({ server: 'http://127.0.0.1:6443', token: 'tok' }));
  t.same(restClientOptionsFromFlags({ kubeconfig: file }, {}, {}), { server: 'http://127.0.0.1:6443', bearerToken: 'tok' });
  t.same(restClientOptionsFromFlags({}, {}, { KUBECONFIG: `${file}:/other` }), { server: 'http://127.0.0.1:6443', bearerToken: 'tok' }, 'KUBECONFIG works too');
});

t.test('a named context, its namespace and a tokenFile relative to the kubeconfig are honoured', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), 'from-file\n');
  const text = `
apiVersion: v1
kind: Config
current-context: one
clusters:
  - name: c1
    cluster: { server: 'http://127.0.0.1:1' }
  - name: c2
    cluster: { server: 'http://127.0.0.1:2' }
users:
  - name: u2
    user: { tokenFile: token }
contexts:
  - name: one
    context: { cluster: c1 }
  - name: two
    context: { cluster: c2, user: u2, namespace: team }
`;
  t.same(parseKubeconfig(text), { server: 'http://127.0.0.1:1' }, 'current context, no user');
  t.same(parseKubeconfig(text, { context: 'two', baseDir: dir }), { server: 'http://127.0.0.1:2', bearerToken: 'from-file', namespace: 'team' });
});

t.test('unusable configurations say what is wrong', async (t) => {
  t.throws(() => restClientOptionsFromFlags({}, {}, {}), ConnectionConfigError);
  t.throws(() => restClientOptionsFromFlags({}, {}, {}), /--apiserver URL or --kubeconfig FILE/);
  t.throws(() => restClientOptionsFromFlags({ apiserver: 'not a url' }, {}, {}), /not a URL/);
  t.throws(() => restClientOptionsFromFlags({ apiserver: 'ftp://x:1' }, {}, {}), /only http:\/\/ and https:\/\//);
  t.throws(() => restClientOptionsFromFlags({ kubeconfig: '/nonexistent/kubeconfig' }, {}, {}), /cannot read kubeconfig/);
  t.throws(() => parseKubeconfig(': : :\n  - ['), /not YAML/);
  t.throws(() => parseKubeconfig('kind: Config\n'), /no current-context/);
  t.throws(() => parseKubeconfig('current-context: x\ncontexts: []\n'), /no context named x/);
  t.throws(() => parseKubeconfig('current-context: x\ncontexts: [{name: x, context: {cluster: c}}]\nclusters: [{name: c, cluster: {}}]\n'), /has no server/);
});

t.test('an https kubeconfig gives the CA and the client certificate, embedded or as files relative to it', async (t) => {
  const dir = tempDir(t);
  const embedded = join(dir, 'embedded');
  writeFileSync(embedded, renderKubeconfig({ server: 'https://127.0.0.1:6443', caPem: 'CA PEM', clientCertPem: 'CERT PEM', clientKeyPem: 'KEY PEM' }));
  t.same(restClientOptionsFromFlags({ kubeconfig: embedded }, { userAgent: 'x' }, {}), {
    userAgent: 'x',
    server: 'https://127.0.0.1:6443',
    caPem: 'CA PEM',
    clientCertPem: 'CERT PEM',
    clientKeyPem: 'KEY PEM',
  });
  writeFileSync(join(dir, 'ca.crt'), 'CA FILE');
  writeFileSync(join(dir, 'me.crt'), 'CERT FILE');
  writeFileSync(join(dir, 'me.key'), 'KEY FILE');
  const files = `
current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: 'https://127.0.0.1:6443', certificate-authority: ca.crt}}]
users: [{name: u, user: {client-certificate: me.crt, client-key: me.key}}]
`;
  t.same(parseKubeconfig(files, { baseDir: dir }), {
    server: 'https://127.0.0.1:6443',
    caPem: 'CA FILE',
    clientCertPem: 'CERT FILE',
    clientKeyPem: 'KEY FILE',
  });
  const skip =
    "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'https://h:1', insecure-skip-tls-verify: true}}]\n";
  t.same(parseKubeconfig(skip), { server: 'https://h:1', insecureSkipTlsVerify: true });
  t.throws(() => parseKubeconfig(files.replace(', client-key: me.key', ''), { baseDir: dir }), /client-certificate and client-key go together/);
  t.throws(() => parseKubeconfig(files.replace('ca.crt', 'missing.crt'), { baseDir: dir }), /cannot read certificate-authority/);
});
