import { readFileSync } from 'node:fs';
import type { ApiContext } from '../handlers/context.js';
import type { ApiserverOptions } from '../server.js';
import { AuthenticationChain } from './authentication-chain.js';
import type { Authenticator } from './authenticator.js';
import { apiContextServiceAccountLookup, createServiceAccountAuthenticator } from './service-account-authenticator.js';
import { TokenFileAuthenticator } from './token-file-authenticator.js';
import { X509Authenticator } from './x509-authenticator.js';

/** kube-apiserver's serving and authentication flags, for node:util `parseArgs({ options: { ...authenticationFlagOptions } })`. */
export const authenticationFlagOptions = {
  'tls-cert-file': { type: 'string' },
  'tls-private-key-file': { type: 'string' },
  'client-ca-file': { type: 'string' },
  'token-auth-file': { type: 'string' },
  'service-account-key-file': { type: 'string', multiple: true },
  'anonymous-auth': { type: 'string' },
  'insecure-port': { type: 'string' },
} as const;

export const AUTHENTICATION_FLAGS_HELP =
  '  --tls-cert-file FILE           serve HTTPS with this certificate (PEM) ...\n' +
  '  --tls-private-key-file FILE    ... and its key; without them --port is plain HTTP\n' +
  '  --client-ca-file FILE          authenticate client certificates this CA signed (CN user, O groups)\n' +
  '  --token-auth-file FILE         static bearer tokens: CSV token,user,uid,"group1,group2"\n' +
  '  --service-account-key-file FILE  verify ServiceAccount tokens with this public key (repeatable)\n' +
  '  --anonymous-auth true|false    a request with no credential is system:anonymous (default true) or 401\n' +
  '  --insecure-port N              also serve plain HTTP on 127.0.0.1:N, unauthenticated, as system:masters (0: no)\n';

export interface AuthenticationFlagValues {
  readonly 'tls-cert-file'?: string | undefined;
  readonly 'tls-private-key-file'?: string | undefined;
  readonly 'client-ca-file'?: string | undefined;
  readonly 'token-auth-file'?: string | undefined;
  readonly 'service-account-key-file'?: readonly string[] | undefined;
  readonly 'anonymous-auth'?: string | undefined;
  readonly 'insecure-port'?: string | undefined;
}

/** What the flags configure: the options for buildApiserver, and the insecure port (undefined: none). */
export interface AuthenticationSetup {
  readonly apiserverOptions: Pick<ApiserverOptions, 'tls' | 'authenticator'>;
  readonly insecurePort: number | undefined;
}

/** A flag that cannot be used; the message names it. */
export class AuthenticationFlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationFlagError';
  }
}

/**
 * Reads the files the flags name. Authentication is on as soon as any of these flags is given
 * (as kube-apiserver, where it always is); with none, the apiserver is the unauthenticated one
 * of the tests, every request UNSECURED_USER.
 */
export function authenticationFromFlags(values: AuthenticationFlagValues, nowMs: () => number = Date.now): AuthenticationSetup {
  const read = (flag: keyof AuthenticationFlagValues, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      throw new AuthenticationFlagError(`--${flag} ${file}: ${(err as Error).message}`);
    }
  };
  const certFile = values['tls-cert-file'];
  const keyFile = values['tls-private-key-file'];
  if ((certFile === undefined) !== (keyFile === undefined)) throw new AuthenticationFlagError('--tls-cert-file and --tls-private-key-file go together');
  const anonymousFlag = values['anonymous-auth'];
  if (anonymousFlag !== undefined && anonymousFlag !== 'true' && anonymousFlag !== 'false')
    throw new AuthenticationFlagError(`--anonymous-auth: expected true or false, got '${anonymousFlag}'`);
  const insecure = values['insecure-port'];
  let insecurePort: number | undefined;
  if (insecure !== undefined) {
    insecurePort = Number(insecure);
    if (!/^\d+$/.test(insecure) || insecurePort > 65535) throw new AuthenticationFlagError(`--insecure-port: expected a port number, got '${insecure}'`);
    if (insecurePort === 0) insecurePort = undefined;
  }

  const caFile = values['client-ca-file'];
  const clientCaPem = caFile === undefined ? undefined : read('client-ca-file', caFile);
  const tls =
    certFile !== undefined && keyFile !== undefined
      ? { certPem: read('tls-cert-file', certFile), keyPem: read('tls-private-key-file', keyFile), ...(clientCaPem === undefined ? {} : { clientCaPem }) }
      : undefined;
  if (clientCaPem !== undefined && tls === undefined)
    throw new AuthenticationFlagError('--client-ca-file needs --tls-cert-file and --tls-private-key-file: client certificates come over TLS');

  const enabled =
    certFile !== undefined ||
    caFile !== undefined ||
    values['token-auth-file'] !== undefined ||
    (values['service-account-key-file'] ?? []).length > 0 ||
    anonymousFlag !== undefined;
  if (!enabled) return { apiserverOptions: {}, insecurePort };

  const construct = <T>(flag: string, make: () => T): T => {
    try {
      return make();
    } catch (err) {
      throw new AuthenticationFlagError(`--${flag}: ${(err as Error).message}`);
    }
  };
  const x509 = clientCaPem === undefined ? undefined : construct('client-ca-file', () => new X509Authenticator({ caPem: clientCaPem, nowMs }));
  const tokenFile =
    values['token-auth-file'] === undefined
      ? undefined
      : construct('token-auth-file', () => TokenFileAuthenticator.fromFile(values['token-auth-file'] as string));
  const saKeys = (values['service-account-key-file'] ?? []).map((f) => read('service-account-key-file', f));
  const anonymous = anonymousFlag !== 'false';
  // The ServiceAccount authenticator reads ServiceAccounts and Secrets through the apiserver's caches, so it is made once the context exists.
  const authenticator = (context: ApiContext): Authenticator =>
    new AuthenticationChain({
      x509,
      tokenFile,
      serviceAccount:
        saKeys.length === 0 ? undefined : createServiceAccountAuthenticator({ publicKeyPem: saKeys, lookup: apiContextServiceAccountLookup(context), nowMs }),
      anonymous,
    });
  // A bad key file must fail at start, not at the first request.
  if (saKeys.length > 0)
    construct('service-account-key-file', () =>
      createServiceAccountAuthenticator({ publicKeyPem: saKeys, lookup: { serviceAccount: async () => undefined, secret: async () => undefined } }),
    );
  return { apiserverOptions: { ...(tls ? { tls } : {}), authenticator }, insecurePort };
}
