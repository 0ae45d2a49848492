import { chmodSync, writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export const CONTEXT_NAME = 'picokube';

/**
 * A kubeconfig for the cluster at `server` (plain http). `insecure-skip-tls-verify` is there
 * because client-node refuses an http server without it; kubectl accepts it and, over http,
 * sends no credentials at all, while client-node sends the token (kubectl-protocol.md §0.2).
 */
export function renderKubeconfig(opts: { server: string; token: string; namespace?: string }): string {
  const user = `${CONTEXT_NAME}-admin`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: CONTEXT_NAME, cluster: { server: opts.server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: user, user: { token: opts.token } }],
    contexts: [{ name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user, namespace: opts.namespace ?? 'default' } }],
    'current-context': CONTEXT_NAME,
    preferences: {},
  });
}

/** Writes the kubeconfig readable by its owner only: it carries the token. */
export function writeKubeconfig(file: string, opts: { server: string; token: string }): void {
  writeFileSync(file, renderKubeconfig(opts), { mode: 0o600 });
  chmodSync(file, 0o600);
}
