import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CertificateFiles, ClusterPki } from './pki.js';

export const CONTEXT_NAME = 'picokube';

/** What a kubeconfig says: the server, how to trust it, and who the user is. */
export interface KubeconfigOptions {
  readonly server: string;
  /** A bearer token for the user. */
  readonly token?: string;
  readonly namespace?: string;
  /** The user's name in the file (default `picokube-admin`). */
  readonly userName?: string;
  /** https: the CA the server's certificate must chain to (PEM), embedded as certificate-authority-data. */
  readonly caPem?: string;
  /** https: the user's client certificate and key (PEM), embedded as client-certificate-data / client-key-data. */
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

/**
 * A kubeconfig for the cluster at `server`, every credential embedded (base64 `-data` fields) so
 * the file stands alone. Over https the cluster carries the CA, so kubectl verifies the server.
 * Over plain http, `insecure-skip-tls-verify` is there because client-node refuses an http
 * server without it; kubectl accepts it and, over http, sends no credentials at all, while
 * client-node sends the token (kubectl-protocol.md §0.2).
 */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  const user = opts.userName ?? `${CONTEXT_NAME}-admin`;
  const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
  const cluster =
    opts.caPem !== undefined
      ? { server: opts.server, 'certificate-authority-data': b64(opts.caPem) }
      : { server: opts.server, 'insecure-skip-tls-verify': true };
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster }],
    users: [
      {
        name: user,
        user: {
          ...(opts.clientCertPem !== undefined ? { 'client-certificate-data': b64(opts.clientCertPem) } : {}),
          ...(opts.clientKeyPem !== undefined ? { 'client-key-data': b64(opts.clientKeyPem) } : {}),
          ...(opts.token !== undefined ? { token: opts.token } : {}),
        },
      },
    ],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user, namespace: opts.namespace ?? 'default' } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes the kubeconfig readable by its owner only: it carries credentials. */
export function writeKubeconfig(file: string, opts: KubeconfigOptions): void {
  writeFileSync(file, renderKubeconfig(opts), { mode: 0o600 });
  chmodSync(file, 0o600);
}

/** `<dir>/kubeconfigs/<component>.kubeconfig`: the kubeconfig a component of the local cluster runs with. */
export function componentKubeconfigFile(clusterDir: string, component: string): string {
  return join(clusterDir, 'kubeconfigs', `${component}.kubeconfig`);
}

/**
 * The kubeconfigs of a local cluster served over https at `server`: the admin's (`adminFile`,
 * the one users export as KUBECONFIG), and one per component with the component's own client
 * certificate (scheduler, controller-manager, each node agent by its node name).
 */
export function writeClusterKubeconfigs(opts: { clusterDir: string; adminFile: string; server: string; pki: ClusterPki }): void {
  const caPem = readFileSync(opts.pki.caFile, 'utf8');
  const write = (file: string, userName: string, cert: CertificateFiles): void =>
    writeKubeconfig(file, {
      server: opts.server,
      caPem,
      userName,
      clientCertPem: readFileSync(cert.certFile, 'utf8'),
      clientKeyPem: readFileSync(cert.keyFile, 'utf8'),
    });
  write(opts.adminFile, `${CONTEXT_NAME}-admin`, opts.pki.admin);
  mkdirSync(join(opts.clusterDir, 'kubeconfigs'), { recursive: true, mode: 0o700 });
  write(componentKubeconfigFile(opts.clusterDir, 'scheduler'), 'system:kube-scheduler', opts.pki.scheduler);
  write(componentKubeconfigFile(opts.clusterDir, 'controller-manager'), 'system:kube-controller-manager', opts.pki.controllerManager);
  for (const [node, cert] of opts.pki.nodes) write(componentKubeconfigFile(opts.clusterDir, node), `system:node:${node}`, cert);
}
