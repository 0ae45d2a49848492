import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ServiceAccountTokenController, serviceAccountTokenFactoryFromFiles } from '../../../controllers/serviceaccount-token-controller.js';
import { publicKeyFromPem, verifyServiceAccountToken } from '../../../kube/auth/service-account-token.js';
import { Resources } from '../../../kube/client/resource.js';
import type { KubeObject } from '../../../kube/object.js';
import { FakeContext } from './fake-context.js';

const keys = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
});
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

function bench() {
  const ctx = new FakeContext();
  let n = 0;
  const ctl = new ServiceAccountTokenController(ctx, { privateKeyPem: keys.privateKey, rootCaPem: CA, nameSuffix: () => `abc${String(++n).padStart(2, '0')}` });
  const drain = async (): Promise<string[]> => {
    const seen: string[] = [];
    for (let round = 0; round < 10 && ctl.queue.len() > 0; round++) {
      while (ctl.queue.len() > 0) {
        const key = (await ctl.queue.get()) as string;
        seen.push(key);
        await ctl.sync(key);
        ctl.queue.done(key);
      }
      await ctx.reflect();
    }
    return seen;
  };
  const secrets = async () => (await ctx.stored<Secret>(Resources.secrets)).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  const sa = (name = 'default') => ctx.client.get<KubeObject & { secrets?: { name: string }[] }>(Resources.serviceaccounts, name, 'team-a');
  return { ctx, ctl, drain, secrets, sa };
}

const decode = (b64: string | undefined): string => Buffer.from(b64 ?? '', 'base64').toString('utf8');
const serviceAccount = (name = 'default'): KubeObject => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: 'team-a' } });

t.test('a ServiceAccount gets a token Secret holding a signed JWT, the namespace and ca.crt, and lists it', async (t) => {
  const b = bench();
  const stored = b.ctx.seed(Resources.serviceaccounts, serviceAccount());
  await b.drain();
  const [secret, ...more] = await b.secrets();
  t.equal(more.length, 0);
  t.equal(secret?.metadata.name, 'default-token-abc01');
  t.equal(secret?.type, 'kubernetes.io/service-account-token');
  t.same(secret?.metadata.annotations, { 'kubernetes.io/service-account.name': 'default', 'kubernetes.io/service-account.uid': stored.metadata.uid });
  t.equal(decode(secret?.data?.namespace), 'team-a');
  t.equal(decode(secret?.data?.['ca.crt']), CA);
  const claims = await verifyServiceAccountToken(decode(secret?.data?.token), [publicKeyFromPem(keys.publicKey)], Date.now());
  t.same(claims, { namespace: 'team-a', serviceAccountName: 'default', serviceAccountUid: stored.metadata.uid, secretName: 'default-token-abc01' });
  t.same((await b.sa()).secrets, [{ name: 'default-token-abc01' }]);
});

t.test('a ServiceAccount that lists a live token gets no second one', async (t) => {
  const b = bench();
  b.ctx.seed(Resources.serviceaccounts, serviceAccount());
  await b.drain();
  await b.ctl.sync('serviceaccount:team-a/default');
  t.equal(b.ctx.client.callsOf('create', 'secrets').length, 1);
});

t.test('a deleted token Secret is replaced, and the ServiceAccount lists only the new one', async (t) => {
  const b = bench();
  b.ctx.seed(Resources.serviceaccounts, serviceAccount());
  await b.drain();
  await b.ctx.client.delete(Resources.secrets, 'default-token-abc01', { namespace: 'team-a' });
  await b.ctx.reflect();
  await b.drain();
  t.same(
    (await b.secrets()).map((s) => s.metadata.name),
    ['default-token-abc02'],
  );
  t.same((await b.sa()).secrets, [{ name: 'default-token-abc02' }]);
});

t.test('deleting a ServiceAccount deletes its token Secrets (revoking the tokens)', async (t) => {
  const b = bench();
  b.ctx.seed(Resources.serviceaccounts, serviceAccount());
  b.ctx.seed(Resources.serviceaccounts, serviceAccount('builder'));
  await b.drain();
  t.equal((await b.secrets()).length, 2);
  await b.ctx.client.delete(Resources.serviceaccounts, 'builder', { namespace: 'team-a' });
  await b.ctx.reflect();
  await b.drain();
  t.same(
    (await b.secrets()).map((s) => s.metadata.name),
    ['default-token-abc01'],
  );
});

t.test("a ServiceAccount recreated under the same name gets a new token; the old uid's is deleted", async (t) => {
  const b = bench();
  b.ctx.seed(Resources.serviceaccounts, serviceAccount());
  await b.drain();
  await b.ctx.client.delete(Resources.serviceaccounts, 'default', { namespace: 'team-a' });
  const again = await b.ctx.client.create(Resources.serviceaccounts, serviceAccount());
  await b.ctx.reflect();
  await b.drain();
  const secrets = await b.secrets();
  t.same(
    secrets.map((s) => s.metadata.name),
    ['default-token-abc02'],
  );
  t.equal(secrets[0]?.metadata.annotations?.['kubernetes.io/service-account.uid'], again.metadata.uid);
});

t.test('a token Secret made by a user for a ServiceAccount is filled in', async (t) => {
  const b = bench();
  const stored = b.ctx.seed(Resources.serviceaccounts, serviceAccount());
  b.ctx.seed(Resources.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'mine', namespace: 'team-a', annotations: { 'kubernetes.io/service-account.name': 'default' } },
    type: 'kubernetes.io/service-account-token',
  } as KubeObject);
  await b.drain();
  const mine = (await b.secrets()).find((s) => s.metadata.name === 'mine');
  t.equal(mine?.metadata.annotations?.['kubernetes.io/service-account.uid'], stored.metadata.uid);
  const claims = await verifyServiceAccountToken(decode(mine?.data?.token), [publicKeyFromPem(keys.publicKey)], Date.now());
  t.equal(claims.secretName, 'mine');
});

t.test('a token Secret for a ServiceAccount that does not exist is deleted', async (t) => {
  const b = bench();
  b.ctx.seed(Resources.secrets, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'orphan', namespace: 'team-a', annotations: { 'kubernetes.io/service-account.name': 'ghost' } },
    type: 'kubernetes.io/service-account-token',
  } as KubeObject);
  await b.drain();
  t.same(await b.secrets(), []);
});

t.test('the controller is configured from key files: none without a key, a clear error for a bad one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sa-token-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(serviceAccountTokenFactoryFromFiles({}), undefined);
  const keyFile = join(dir, 'sa.key');
  writeFileSync(keyFile, keys.privateKey);
  t.type(serviceAccountTokenFactoryFromFiles({ serviceAccountPrivateKeyFile: keyFile }), 'function');
  const bad = join(dir, 'bad.key');
  writeFileSync(bad, 'not a key');
  t.throws(() => serviceAccountTokenFactoryFromFiles({ serviceAccountPrivateKeyFile: bad }), /--service-account-private-key-file/);
  t.throws(() => serviceAccountTokenFactoryFromFiles({ serviceAccountPrivateKeyFile: join(dir, 'missing') }), /cannot read/);
});
