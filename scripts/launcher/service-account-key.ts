import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The key pair ServiceAccount tokens are signed with, as kubeadm keeps it: `<dir>/pki/sa.key`
 * (RSA 2048, PKCS#1 PEM) for the controller-manager's `--service-account-private-key-file`, and
 * `<dir>/pki/sa.pub` (SPKI PEM) for the apiserver's `--service-account-key-file`. Made on the
 * first `up` and kept: a new key would invalidate every token already handed out. Both files are
 * mode 0600 in a 0700 directory.
 */
export interface ServiceAccountKeyFiles {
  readonly privateKeyFile: string;
  readonly publicKeyFile: string;
}

export function serviceAccountKeyFiles(clusterDir: string): ServiceAccountKeyFiles {
  const dir = join(clusterDir, 'pki');
  return { privateKeyFile: join(dir, 'sa.key'), publicKeyFile: join(dir, 'sa.pub') };
}

/** Creates the key pair if it is missing (the public half alone is rederived from the private key); returns the paths. */
export function ensureServiceAccountKey(clusterDir: string): ServiceAccountKeyFiles {
  const files = serviceAccountKeyFiles(clusterDir);
  mkdirSync(join(clusterDir, 'pki'), { recursive: true, mode: 0o700 });
  let privatePem: string;
  if (existsSync(files.privateKeyFile)) {
    privatePem = readFileSync(files.privateKeyFile, 'utf8');
  } else {
    privatePem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    writePrivate(files.privateKeyFile, privatePem);
  }
  if (!existsSync(files.publicKeyFile)) {
    const publicPem = createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }).toString();
    writePrivate(files.publicKeyFile, publicPem);
  }
  return files;
}

/** Written to a side file and renamed, so a crash never leaves half a key behind to be reused. */
function writePrivate(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
