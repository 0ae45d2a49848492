import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';

/**
 * ServiceAccount tokens as kube's legacy token controller signs them (pkg/serviceaccount
 * legacy.go): an RS256 JWT whose issuer is `kubernetes/serviceaccount`, naming the namespace, the
 * ServiceAccount (name and uid) and the Secret that holds the token. The same module signs (the
 * token controller, with the private key) and verifies (the apiserver, with the public key), so
 * both ends agree on the claim names by construction.
 */

export const LEGACY_TOKEN_ISSUER = 'kubernetes/serviceaccount';
export const SERVICE_ACCOUNT_USERNAME_PREFIX = 'system:serviceaccount:';
export const SERVICE_ACCOUNTS_GROUP = 'system:serviceaccounts';

const CLAIM_NAMESPACE = 'kubernetes.io/serviceaccount/namespace';
const CLAIM_SECRET_NAME = 'kubernetes.io/serviceaccount/secret.name';
const CLAIM_SA_NAME = 'kubernetes.io/serviceaccount/service-account.name';
const CLAIM_SA_UID = 'kubernetes.io/serviceaccount/service-account.uid';

/** What a legacy ServiceAccount token says about its holder. */
export interface ServiceAccountTokenClaims {
  readonly namespace: string;
  readonly serviceAccountName: string;
  readonly serviceAccountUid: string;
  readonly secretName: string;
}

/** A token of ours that does not verify (bad signature, expired, malformed claims); the message says which. */
export class ServiceAccountTokenError extends Error {
  override readonly name = 'ServiceAccountTokenError';
}

/** `system:serviceaccount:NS:NAME`, the user name a ServiceAccount authenticates as. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SERVICE_ACCOUNT_USERNAME_PREFIX}${namespace}:${name}`;
}

/** The groups of a ServiceAccount: every ServiceAccount, and those of its namespace. */
export function serviceAccountGroups(namespace: string): string[] {
  return [SERVICE_ACCOUNTS_GROUP, `${SERVICE_ACCOUNTS_GROUP}:${namespace}`];
}

/** Accepts PKCS#1 (`BEGIN RSA PRIVATE KEY`) and PKCS#8 PEM, as kube's key flags do. */
export function privateKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new ServiceAccountTokenError(`service account signing key must be RSA, not ${key.asymmetricKeyType}`);
  return key;
}

/** A public key PEM (SPKI or PKCS#1), or the public half of a private key PEM (kube accepts either in --service-account-key-file). */
export function publicKeyFromPem(pem: string): KeyObject {
  const key = createPublicKey(pem);
  if (key.asymmetricKeyType !== 'rsa') throw new ServiceAccountTokenError(`service account key must be RSA, not ${key.asymmetricKeyType}`);
  return key;
}

/** kube's keyIDFromPublicKey: the base64url SHA-256 of the public key's DER (SPKI), put in the JWT's `kid`. */
export function keyIdOf(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return createHash('sha256')
    .update(pub.export({ type: 'spki', format: 'der' }))
    .digest('base64url');
}

export interface SignOptions {
  /** Seconds since the epoch; legacy tokens carry no `exp` (they live as long as their Secret), tests set one. */
  readonly expiresAtSeconds?: number;
}

/** Signs a legacy ServiceAccount token (RS256, `kid` from the key). */
export async function signServiceAccountToken(privateKey: KeyObject, claims: ServiceAccountTokenClaims, options: SignOptions = {}): Promise<string> {
  const jwt = new SignJWT({
    [CLAIM_NAMESPACE]: claims.namespace,
    [CLAIM_SECRET_NAME]: claims.secretName,
    [CLAIM_SA_NAME]: claims.serviceAccountName,
    [CLAIM_SA_UID]: claims.serviceAccountUid,
  })
    .setProtectedHeader({ alg: 'RS256', kid: keyIdOf(privateKey) })
    .setIssuer(LEGACY_TOKEN_ISSUER)
    .setSubject(serviceAccountUsername(claims.namespace, claims.serviceAccountName));
  if (options.expiresAtSeconds !== undefined) jwt.setExpirationTime(options.expiresAtSeconds);
  return jwt.sign(privateKey);
}

/**
 * Whether a bearer token is one of ours: it parses as a JWS-compact JWT with our issuer. Says
 * nothing about its validity; a token that is not ours belongs to another authenticator.
 */
export function isServiceAccountToken(token: string): boolean {
  if (token.split('.').length !== 3) return false;
  try {
    decodeProtectedHeader(token);
    return decodeJwt(token).iss === LEGACY_TOKEN_ISSUER;
  } catch {
    return false;
  }
}

/**
 * Verifies a token of ours against any of `publicKeys` (kube accepts several key files, for key
 * rotation) at `nowMs`, and returns its claims. Throws ServiceAccountTokenError when no key
 * verifies it, it has expired, or its claims are incomplete or disagree with `sub`.
 */
export async function verifyServiceAccountToken(token: string, publicKeys: readonly KeyObject[], nowMs: number): Promise<ServiceAccountTokenClaims> {
  let payload: Record<string, unknown> | undefined;
  let why = 'no key to verify it with';
  for (const key of publicKeys) {
    try {
      ({ payload } = await jwtVerify(token, key, { issuer: LEGACY_TOKEN_ISSUER, algorithms: ['RS256'], currentDate: new Date(nowMs) }));
      break;
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new ServiceAccountTokenError('token has expired');
      why = err instanceof joseErrors.JWSSignatureVerificationFailed ? 'invalid signature' : `invalid token: ${(err as Error).message}`;
    }
  }
  if (!payload) throw new ServiceAccountTokenError(why);
  const text = (claim: string): string => {
    const v = payload[claim];
    if (typeof v !== 'string' || v === '') throw new ServiceAccountTokenError(`token lacks the claim ${claim}`);
    return v;
  };
  const claims: ServiceAccountTokenClaims = {
    namespace: text(CLAIM_NAMESPACE),
    serviceAccountName: text(CLAIM_SA_NAME),
    serviceAccountUid: text(CLAIM_SA_UID),
    secretName: text(CLAIM_SECRET_NAME),
  };
  if (payload.sub !== serviceAccountUsername(claims.namespace, claims.serviceAccountName)) {
    throw new ServiceAccountTokenError('token subject does not match its service account claims');
  }
  return claims;
}
