import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How a store client proves it may use a replica's client port (the store's "door"): on the
 * WebSocket upgrade it sends `Authorization: Bearer <token>`, where the token is
 * HMAC-SHA256(cluster secret, 'picokube-store-client-v1') in hex. Deriving it, rather than sending
 * the secret, keeps the secret itself off the wire: a token seen on the client port does not let
 * anyone pass the peer handshake (raft/transport/handshake.ts), whose MACs use other labels over
 * fresh nonces. The token is fixed per secret, so it is a password for the client port, as
 * etcd's client password is; rotate the secret to revoke it.
 */
export const CLIENT_AUTH_LABEL = 'picokube-store-client-v1';

/** The bearer token for a cluster secret (as `loadSecret` returns it). */
export function storeClientToken(secret: Uint8Array): string {
  return createHmac('sha256', secret).update(CLIENT_AUTH_LABEL).digest('hex');
}

/** The upgrade request's headers for a client holding `secret`. */
export function storeClientHeaders(secret: Uint8Array): Record<string, string> {
  return { authorization: `Bearer ${storeClientToken(secret)}` };
}

/**
 * Whether an upgrade's Authorization header carries the token for `secret`; compared in constant
 * time (the lengths of a hex SHA-256 are public), so a guesser learns nothing from timing.
 */
export function isAuthorizedStoreClient(authorization: string | undefined, secret: Uint8Array): boolean {
  if (typeof authorization !== 'string') return false;
  const m = /^Bearer ([0-9a-f]{64})$/i.exec(authorization.trim());
  if (!m) return false;
  const given = Buffer.from((m[1] as string).toLowerCase(), 'utf8');
  const wanted = Buffer.from(storeClientToken(secret), 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}
