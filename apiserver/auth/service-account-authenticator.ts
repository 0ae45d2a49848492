import type { KeyObject } from 'node:crypto';
import {
  isServiceAccountToken,
  publicKeyFromPem,
  ServiceAccountTokenError,
  serviceAccountGroups,
  serviceAccountUsername,
  verifyServiceAccountToken,
} from '../../kube/auth/service-account-token.js';
import type { KubeObject } from '../../kube/object.js';
import type { ApiContext } from '../handlers/context.js';
import { AuthenticationFailure, type AuthenticationRequest, type Authenticator } from './authenticator.js';
import type { UserInfo } from './user-info.js';

/** Secret type and annotations of a legacy ServiceAccount token Secret (kube's core/v1 constants). */
export const SERVICE_ACCOUNT_TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
export const SERVICE_ACCOUNT_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SERVICE_ACCOUNT_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** Where the authenticator finds the ServiceAccount and the Secret a token names; undefined when absent. */
export interface ServiceAccountLookup {
  serviceAccount(namespace: string, name: string): Promise<KubeObject | undefined>;
  secret(namespace: string, name: string): Promise<KubeObject | undefined>;
}

export interface ServiceAccountAuthenticatorOptions {
  /** `--service-account-key-file`: one or more PEM public keys (a private key PEM is accepted and its public half used). */
  readonly publicKeyPem: string | readonly string[];
  readonly lookup: ServiceAccountLookup;
  /** The clock for `exp` checks (ms since the epoch); default Date.now. */
  readonly nowMs?: () => number;
}

/** The bearer token of an `Authorization: Bearer …` header, or undefined. */
export function bearerToken(req: AuthenticationRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const m = /^bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * kube's legacy ServiceAccount token authenticator (pkg/serviceaccount jwt.go + legacy.go): a
 * bearer token that is a JWT with the issuer `kubernetes/serviceaccount` is ours. It must verify
 * against one of the public keys, and the ServiceAccount and the Secret it names must still
 * exist, not be being deleted, and agree (the ServiceAccount's uid; the Secret's copy of the
 * token), so deleting either revokes the token at once. Then the user is
 * `system:serviceaccount:NS:NAME` in the groups `system:serviceaccounts` and
 * `system:serviceaccounts:NS`. Any failure of a token of ours is an AuthenticationFailure (401);
 * a token that is not ours, or no bearer token, is undefined (the next authenticator's).
 */
export class ServiceAccountAuthenticator implements Authenticator {
  private readonly keys: readonly KeyObject[];
  private readonly lookup: ServiceAccountLookup;
  private readonly nowMs: () => number;

  constructor(options: ServiceAccountAuthenticatorOptions) {
    const pems = typeof options.publicKeyPem === 'string' ? [options.publicKeyPem] : options.publicKeyPem;
    this.keys = pems.map(publicKeyFromPem);
    if (this.keys.length === 0) throw new Error('service account authenticator: no public key');
    this.lookup = options.lookup;
    this.nowMs = options.nowMs ?? Date.now;
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined> {
    const token = bearerToken(req);
    if (token === undefined || !isServiceAccountToken(token)) return undefined;
    let claims: Awaited<ReturnType<typeof verifyServiceAccountToken>>;
    try {
      claims = await verifyServiceAccountToken(token, this.keys, this.nowMs());
    } catch (err) {
      if (err instanceof ServiceAccountTokenError) throw new AuthenticationFailure(err.message);
      throw err;
    }
    const { namespace, serviceAccountName: name, serviceAccountUid: uid, secretName } = claims;
    const secret = await this.lookup.secret(namespace, secretName);
    if (!secret || secret.metadata.deletionTimestamp) throw new AuthenticationFailure(`secret ${namespace}/${secretName} not found or being deleted`);
    if (secretToken(secret) !== token) throw new AuthenticationFailure(`token does not match the server's copy in secret ${namespace}/${secretName}`);
    const sa = await this.lookup.serviceAccount(namespace, name);
    if (!sa || sa.metadata.deletionTimestamp) throw new AuthenticationFailure(`service account ${namespace}/${name} not found or being deleted`);
    if (sa.metadata.uid !== uid) throw new AuthenticationFailure(`service account uid ${uid} does not match ${namespace}/${name}'s (${sa.metadata.uid ?? ''})`);
    return { name: serviceAccountUsername(namespace, name), uid, groups: serviceAccountGroups(namespace) };
  }
}

/** The constructor D1's authentication chain calls. */
export function createServiceAccountAuthenticator(options: ServiceAccountAuthenticatorOptions): Authenticator {
  return new ServiceAccountAuthenticator(options);
}

/** The token a Secret holds (its `data.token`, base64 on the wire; `stringData` is folded into `data` on write). */
function secretToken(secret: KubeObject): string | undefined {
  const data = (secret as { data?: Record<string, unknown> }).data;
  const b64 = data?.token;
  return typeof b64 === 'string' ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
}

/**
 * Lookups through the apiserver's own watch caches (as kube's authenticator reads informers),
 * falling back to a read from the store while a cache is not in sync.
 */
export function apiContextServiceAccountLookup(ctx: ApiContext): ServiceAccountLookup {
  const find = async (kind: string, namespace: string, name: string): Promise<KubeObject | undefined> => {
    const def = ctx.registry.byKind('', kind);
    if (!def) return undefined;
    return ctx.caches.cachedObject(def, namespace, name) ?? (await ctx.objects.find(def, namespace, name));
  };
  return {
    serviceAccount: (namespace, name) => find('ServiceAccount', namespace, name),
    secret: (namespace, name) => find('Secret', namespace, name),
  };
}
