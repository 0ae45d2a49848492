import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AuthenticationFailure, type AuthenticationRequest, type Authenticator } from './authenticator.js';
import type { UserInfo } from './user-info.js';

/** The extended key usages that allow a certificate to authenticate a client. */
const CLIENT_AUTH_USAGES = new Set(['1.3.6.1.5.5.7.3.2', '2.5.29.37.0']);

/**
 * kube-apiserver's client-certificate authenticator (`--client-ca-file`, pkg/authentication/
 * request/x509): a client certificate issued and signed by one of the client CAs, within its
 * validity, allowed for client auth, is the user of its subject's CN, in the groups of its O
 * entries. The TLS listener asks for a certificate without requiring one, nor requiring it to
 * verify (an unverified certificate must be a 401, not a failed handshake), so the check is
 * made here, on the clock passed in. No certificate: not this authenticator's (undefined). A
 * certificate whose CN is empty authenticates no one (undefined), as kube.
 */
export class X509Authenticator implements Authenticator {
  private readonly cas: readonly X509Certificate[];
  private readonly nowMs: () => number;

  constructor(opts: { caPem: string; nowMs?: () => number }) {
    this.cas = splitPemCertificates(opts.caPem).map((pem) => new X509Certificate(pem));
    if (this.cas.length === 0) throw new Error('x509 authenticator: the client CA bundle holds no certificate');
    this.nowMs = opts.nowMs ?? Date.now;
  }

  static fromFile(path: string, nowMs?: () => number): X509Authenticator {
    return new X509Authenticator({ caPem: readFileSync(path, 'utf8'), ...(nowMs ? { nowMs } : {}) });
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined> {
    const presented = req.clientCertificate;
    if (!presented || presented.raw.length === 0) return undefined;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(presented.raw);
    } catch {
      throw new AuthenticationFailure('x509: the client certificate cannot be parsed');
    }
    const now = this.nowMs();
    if (now < Date.parse(cert.validFrom)) throw new AuthenticationFailure(`x509: certificate is not valid before ${cert.validFrom}`);
    if (now > Date.parse(cert.validTo)) throw new AuthenticationFailure(`x509: certificate has expired (${cert.validTo})`);
    if (!this.cas.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey)))
      throw new AuthenticationFailure('x509: certificate signed by unknown authority');
    const usages = cert.keyUsage;
    if (usages !== undefined && !usages.some((u) => CLIENT_AUTH_USAGES.has(u)))
      throw new AuthenticationFailure('x509: certificate specifies an incompatible key usage');
    const name = first(presented.subject.CN);
    if (name === undefined || name === '') return undefined;
    return { name, groups: all(presented.subject.O) };
  }
}

/** The PEM blocks of a CA bundle. */
export function splitPemCertificates(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

function first(v: string | readonly string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : v?.[0];
}

function all(v: string | readonly string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : [...v];
}
