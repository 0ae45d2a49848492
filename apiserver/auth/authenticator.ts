import type { IncomingHttpHeaders } from 'node:http';
import type { UserInfo } from './user-info.js';

/** What an authenticator may look at: the headers and, over TLS, the verified client certificate chain. */
export interface AuthenticationRequest {
  readonly headers: IncomingHttpHeaders;
  /**
   * The client certificate's subject (as node's TLSSocket reports it) and DER bytes, when one was
   * presented. Not yet verified: the TLS listener accepts any, and the x509 authenticator checks
   * it against the client CA (so that a foreign certificate is a 401, not a failed handshake).
   */
  readonly clientCertificate?: { readonly subject: Readonly<Record<string, string | readonly string[]>>; readonly raw: Buffer } | undefined;
}

/**
 * One of kube-apiserver's request authenticators. `undefined`: this method does not apply (no
 * credential of its kind) and the next is tried; a thrown AuthenticationFailure: a credential of
 * its kind was presented and is bad (unknown, expired, badly signed): the request is 401.
 */
export interface Authenticator {
  authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined>;
}

export class AuthenticationFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationFailure';
  }
}
