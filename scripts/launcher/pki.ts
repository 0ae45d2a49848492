import { X509Certificate, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CertificateAndKey,
  type SubjectAltNames,
  type SubjectName,
  buildCaCertificate,
  buildSignedCertificate,
  newRsaKeyPem,
} from './certificate-builder.js';

/**
 * The local cluster's PKI under `<dir>/pki/`, as kubeadm lays it out: a cluster CA (10 years),
 * the apiserver's serving certificate, and one client certificate per identity (the admin of the
 * kubeconfig, the scheduler, the controller-manager, each node agent). Every file is mode 0600 in
 * a 0700 directory: the CA's private key never leaves it. Files are created once and reused on a
 * restart; a certificate that is missing, not signed by the current CA, or within 30 days of its
 * end is made anew (a node added with `--nodes` gets its own on the next `up`).
 */

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 365;
/** A leaf certificate is renewed when it ends sooner than this. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** Certificates start a little in the past, so a clock a bit behind still accepts them. */
const BACKDATE_MS = 5 * 60 * 1000;

export const ADMIN_USER = 'kubernetes-admin';
export const SCHEDULER_USER = 'system:kube-scheduler';
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';
export const NODES_GROUP = 'system:nodes';

/** The names the apiserver answers to: loopback, and the `kubernetes` Service's names and ClusterIP. */
export const APISERVER_ALT_NAMES: SubjectAltNames = {
  dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
  ipAddresses: ['127.0.0.1', '10.96.0.1'],
};

/** Paths of one certificate and its key. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ClusterPki {
  readonly dir: string;
  /** The CA certificate (`--client-ca-file`, the kubeconfigs' certificate-authority); its key stays in `dir`. */
  readonly caFile: string;
  readonly apiserver: CertificateFiles;
  readonly admin: CertificateFiles;
  readonly scheduler: CertificateFiles;
  readonly controllerManager: CertificateFiles;
  /** One per node name asked for. */
  readonly nodes: ReadonlyMap<string, CertificateFiles>;
}

/** The identity a node agent's client certificate carries: `system:node:<name>` in `system:nodes`. */
export function nodeSubject(nodeName: string): SubjectName {
  return { commonName: `system:node:${nodeName}`, organizations: [NODES_GROUP] };
}

/** The paths of the PKI's files, whether they exist yet or not. */
export function clusterPkiFiles(clusterDir: string, nodeNames: readonly string[]): ClusterPki {
  const dir = join(clusterDir, 'pki');
  const files = (name: string): CertificateFiles => ({ certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) });
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    apiserver: files('apiserver'),
    admin: files('admin'),
    scheduler: files('scheduler'),
    controllerManager: files('controller-manager'),
    nodes: new Map(nodeNames.map((n) => [n, files(`kubelet-${n}`)])),
  };
}

/**
 * Creates what is missing of the PKI in `<clusterDir>/pki` and returns the paths. `now` is the
 * time the certificates are issued at (and checked against for renewal).
 */
export function ensureClusterPki(clusterDir: string, opts: { nodeNames: readonly string[]; now?: Date }): ClusterPki {
  const now = opts.now ?? new Date();
  const paths = clusterPkiFiles(clusterDir, opts.nodeNames);
  const dir = paths.dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const validity = (days: number) => ({ notBefore: new Date(now.getTime() - BACKDATE_MS), validityDays: days });

  const caFiles = { certFile: paths.caFile, keyFile: join(dir, 'ca.key') };
  let ca = readPair(caFiles);
  const newCa = ca === undefined;
  if (ca === undefined) {
    const keyPem = newRsaKeyPem();
    const certPem = buildCaCertificate({ keyPem, subject: { commonName: 'picokube-ca' }, validity: validity(CA_VALIDITY_DAYS), serialHex: serial() });
    ca = { certPem, keyPem };
    writePair(caFiles, ca);
  }
  const caCert = new X509Certificate(ca.certPem);
  const leaf = (f: CertificateFiles, subject: SubjectName, usage: 'server' | 'client', altNames?: SubjectAltNames): void => {
    const existing = newCa ? undefined : readPair(f);
    if (existing && stillGood(existing.certPem, caCert, now)) return;
    const keyPem = newRsaKeyPem();
    const certPem = buildSignedCertificate({
      ca: ca as CertificateAndKey,
      keyPem,
      subject,
      usage,
      ...(altNames ? { altNames } : {}),
      validity: validity(LEAF_VALIDITY_DAYS),
      serialHex: serial(),
    });
    writePair(f, { certPem, keyPem });
  };
  leaf(paths.apiserver, { commonName: 'kube-apiserver' }, 'server', APISERVER_ALT_NAMES);
  leaf(paths.admin, { commonName: ADMIN_USER, organizations: ['system:masters'] }, 'client');
  leaf(paths.scheduler, { commonName: SCHEDULER_USER }, 'client');
  leaf(paths.controllerManager, { commonName: CONTROLLER_MANAGER_USER }, 'client');
  for (const [n, f] of paths.nodes) leaf(f, nodeSubject(n), 'client');
  return paths;
}

/** Issued by `ca` (name and signature) and not ending within RENEW_BEFORE_MS of `now`. */
function stillGood(certPem: string, ca: X509Certificate, now: Date): boolean {
  try {
    const cert = new X509Certificate(certPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) - now.getTime() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}

function readPair(f: CertificateFiles): CertificateAndKey | undefined {
  if (!existsSync(f.certFile) || !existsSync(f.keyFile)) return undefined;
  return { certPem: readFileSync(f.certFile, 'utf8'), keyPem: readFileSync(f.keyFile, 'utf8') };
}

function writePair(f: CertificateFiles, pair: CertificateAndKey): void {
  // Key first: a crash between the two leaves no certificate without its key.
  for (const [file, text] of [
    [f.keyFile, pair.keyPem],
    [f.certFile, pair.certPem],
  ] as const) {
    writeFileSync(file, text, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
}

function serial(): string {
  return randomBytes(16).toString('hex');
}

/** What a probe of the local apiserver presents: the cluster CA and the admin's client certificate; undefined before the PKI exists. */
export function adminProbeTls(clusterDir: string): { caPem: string; certPem: string; keyPem: string } | undefined {
  const pki = clusterPkiFiles(clusterDir, []);
  const pair = readPair(pki.admin);
  if (!pair || !existsSync(pki.caFile)) return undefined;
  return { caPem: readFileSync(pki.caFile, 'utf8'), certPem: pair.certPem, keyPem: pair.keyPem };
}
