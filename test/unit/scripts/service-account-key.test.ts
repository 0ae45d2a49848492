import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { privateKeyFromPem, publicKeyFromPem, signServiceAccountToken, verifyServiceAccountToken } from '../../../kube/auth/service-account-token.js';
import { ensureServiceAccountKey } from '../../../scripts/launcher/service-account-key.js';

t.test('the launcher makes the ServiceAccount key pair once, private (0600), and its halves match', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-sa-key-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = ensureServiceAccountKey(dir);
  t.equal(statSync(files.privateKeyFile).mode & 0o777, 0o600);
  t.equal(statSync(files.publicKeyFile).mode & 0o777, 0o600);
  t.equal(statSync(join(dir, 'pki')).mode & 0o777, 0o700);
  const privatePem = readFileSync(files.privateKeyFile, 'utf8');
  const claims = { namespace: 'ns', serviceAccountName: 'default', serviceAccountUid: 'u', secretName: 'default-token-abcde' };
  const token = await signServiceAccountToken(privateKeyFromPem(privatePem), claims);
  t.same(await verifyServiceAccountToken(token, [publicKeyFromPem(readFileSync(files.publicKeyFile, 'utf8'))], Date.now()), claims);

  ensureServiceAccountKey(dir);
  t.equal(readFileSync(files.privateKeyFile, 'utf8'), privatePem, 'a second up keeps the key (tokens stay valid)');
  const publicPem = readFileSync(files.publicKeyFile, 'utf8');
  unlinkSync(files.publicKeyFile);
  ensureServiceAccountKey(dir);
  t.equal(readFileSync(files.publicKeyFile, 'utf8'), publicPem, 'a lost public key is rederived from the private one');
});
