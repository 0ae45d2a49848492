import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { isInsecureRequest } from '../insecure-listener.js';
import { AuthenticationFailure, type AuthenticationRequest, type Authenticator } from './authenticator.js';
import type { AuthenticatedRequest } from './user-info.js';

/** kube's 401 body, word for word: kubectl prints "You must be logged in to the server (Unauthorized)" for it. */
export const UNAUTHORIZED_STATUS = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: 'Unauthorized',
  reason: 'Unauthorized',
  code: 401,
};

/**
 * Authenticates every request before routing (kube's WithAuthentication filter): the user goes
 * into `(req as AuthenticatedRequest).user`; a request the authenticator refuses (or has no
 * answer for) gets the 401 Status. Requests of the insecure listener are left as UNSECURED_USER.
 */
export function installAuthentication(app: FastifyInstance, authenticator: Authenticator, logger: Logger): void {
  app.addHook('onRequest', async (req, reply) => {
    if (isInsecureRequest(req.raw)) return;
    try {
      const user = await authenticator.authenticate(authenticationRequest(req.raw.headers, req.raw.socket));
      if (!user) return unauthorized(reply);
      (req as AuthenticatedRequest).user = user;
    } catch (err) {
      // An authenticator's own error (a lookup that failed, say) is a 401 too, as kube, but worth a log line.
      if (err instanceof AuthenticationFailure) logger.debug({ reason: err.message, url: req.url }, 'unauthorized');
      else logger.warn({ err: String(err), url: req.url }, 'authentication failed with an error');
      return unauthorized(reply);
    }
  });
}

/** The headers and, on a TLS connection where the client presented one, its certificate. */
export function authenticationRequest(headers: AuthenticationRequest['headers'], socket: unknown): AuthenticationRequest {
  const tls = socket as Partial<TLSSocket> | undefined;
  if (typeof tls?.getPeerCertificate !== 'function') return { headers };
  const peer = tls.getPeerCertificate(false);
  // An empty object when the client sent no certificate.
  if (!peer || !Buffer.isBuffer(peer.raw)) return { headers };
  return { headers, clientCertificate: { subject: peer.subject as unknown as Record<string, string | string[]>, raw: peer.raw } };
}

function unauthorized(reply: FastifyReply): FastifyReply {
  return reply.code(401).type('application/json').send(JSON.stringify(UNAUTHORIZED_STATUS));
}
