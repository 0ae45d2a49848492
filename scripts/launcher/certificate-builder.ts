import { generateKeyPairSync } from 'node:crypto';
import forge from 'node-forge';

/**
 * X.509 certificates for the cluster's PKI, built with node-forge: a self-signed CA and leaf
 * certificates it signs (the apiserver's serving certificate, client certificates whose CN is the
 * user and whose O entries are the groups, as kube-apiserver's x509 authenticator reads them).
 * Pure apart from key generation: the time and the serial number are passed in.
 */

/** A PEM certificate and its PEM (PKCS#8) private key. */
export interface CertificateAndKey {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface SubjectName {
  readonly commonName: string;
  /** The O entries: a client certificate's groups. */
  readonly organizations?: readonly string[];
}

export interface SubjectAltNames {
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
}

export interface Validity {
  readonly notBefore: Date;
  readonly validityDays: number;
}

/** A new RSA 2048 key pair through node:crypto (fast, native), as PEM. */
export function newRsaKeyPem(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** A self-signed CA certificate (basicConstraints CA, keyCertSign) for `keyPem`. */
export function buildCaCertificate(opts: { keyPem: string; subject: SubjectName; validity: Validity; serialHex: string }): string {
  const key = forge.pki.privateKeyFromPem(opts.keyPem);
  const cert = baseCertificate(key, opts.subject, opts.validity, opts.serialHex);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', critical: true, keyCertSign: true, cRLSign: true, digitalSignature: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(key, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/**
 * A leaf certificate for `keyPem` signed by `ca`: `usage` 'server' (serverAuth, with the SANs)
 * or 'client' (clientAuth).
 */
export function buildSignedCertificate(opts: {
  ca: CertificateAndKey;
  keyPem: string;
  subject: SubjectName;
  usage: 'server' | 'client';
  altNames?: SubjectAltNames;
  validity: Validity;
  serialHex: string;
}): string {
  const caCert = forge.pki.certificateFromPem(opts.ca.certPem);
  const caKey = forge.pki.privateKeyFromPem(opts.ca.keyPem);
  const key = forge.pki.privateKeyFromPem(opts.keyPem);
  const cert = baseCertificate(key, opts.subject, opts.validity, opts.serialHex);
  cert.setIssuer(caCert.subject.attributes);
  const altNames = [
    ...(opts.altNames?.dnsNames ?? []).map((value) => ({ type: 2, value })),
    ...(opts.altNames?.ipAddresses ?? []).map((ip) => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', critical: true, digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: opts.usage === 'server', clientAuth: opts.usage === 'client' },
    ...(altNames.length > 0 ? [{ name: 'subjectAltName', altNames }] : []),
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return forge.pki.certificateToPem(cert);
}

/**
 * A serial number as the content of a positive DER INTEGER (forge writes the hex as is): a
 * leading 00 only when the next byte's top bit is set. A needless 00 is "illegal padding" to
 * OpenSSL 3, which then refuses the whole certificate.
 */
export function positiveDerHex(hex: string): string {
  const digits = hex.length % 2 === 0 ? hex : `0${hex}`;
  const trimmed = digits.replace(/^(00)+/, '') || '01';
  return Number.parseInt(trimmed.slice(0, 2), 16) >= 0x80 ? `00${trimmed}` : trimmed;
}

function baseCertificate(key: forge.pki.rsa.PrivateKey, subject: SubjectName, validity: Validity, serialHex: string): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.rsa.setPublicKey(key.n, key.e);
  cert.serialNumber = positiveDerHex(serialHex);
  cert.validity.notBefore = validity.notBefore;
  cert.validity.notAfter = new Date(validity.notBefore.getTime() + validity.validityDays * 24 * 3600 * 1000);
  cert.setSubject([{ shortName: 'CN', value: subject.commonName }, ...(subject.organizations ?? []).map((value) => ({ shortName: 'O', value }))]);
  return cert;
}
