/**
 * How a component (scheduler, controller-manager, node agent) finds the apiserver, as kube
 * components do: `--apiserver URL` (kube's `--master`) wins; otherwise `--kubeconfig FILE`, then
 * the `KUBECONFIG` environment variable. From a kubeconfig the current context's cluster (`server`,
 * `certificate-authority[-data]`, `insecure-skip-tls-verify`) and user (`client-certificate[-data]`,
 * `client-key[-data]`, `token` or `tokenFile`) are read, file paths relative to the kubeconfig's
 * directory as kubectl resolves them. The answer is `RestClientOptions`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { isPlainObject } from '../object.js';
import type { RestClientOptions } from './rest-client.js';

/** The two flags, for node:util `parseArgs({ options: { ...connectionFlagOptions, ... } })`. */
export const connectionFlagOptions = {
  apiserver: { type: 'string' },
  kubeconfig: { type: 'string' },
} as const;

/** Lines for a component's `--help`. */
export const CONNECTION_FLAGS_HELP =
  '  --apiserver URL     the apiserver to talk to (http://127.0.0.1:6443)\n' +
  '  --kubeconfig FILE   read the server and credentials of its current context (default: $KUBECONFIG)\n';

export interface ConnectionFlags {
  readonly apiserver?: string | undefined;
  readonly kubeconfig?: string | undefined;
}

/** What a kubeconfig says about one context. */
export interface KubeconfigContext {
  readonly server: string;
  readonly bearerToken?: string;
  readonly namespace?: string;
  /** PEM text of the cluster's CA, the user's client certificate and key, from the file or the base64 `-data` field. */
  readonly caPem?: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
  readonly insecureSkipTlsVerify?: boolean;
}

/** The RestClient options a kubeconfig context supplies. */
type KubeconfigRestOptions = 'server' | 'bearerToken' | 'caPem' | 'clientCertPem' | 'clientKeyPem' | 'insecureSkipTlsVerify';

/** A kubeconfig or flag that cannot be used: the message says what to fix. */
export class ConnectionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionConfigError';
  }
}

/**
 * RestClient options from the flags (and `env.KUBECONFIG`); `extra` (userAgent, qps, …) is
 * merged in. Throws `ConnectionConfigError` when neither flag is given or the file is unusable.
 */
export function restClientOptionsFromFlags(
  flags: ConnectionFlags,
  extra: Omit<RestClientOptions, KubeconfigRestOptions> = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): RestClientOptions {
  if (flags.apiserver) {
    checkServer(flags.apiserver, '--apiserver');
    return { ...extra, server: flags.apiserver };
  }
  // KUBECONFIG may list several files; like kubectl we read the first that exists (no merging).
  const file = flags.kubeconfig ?? env.KUBECONFIG?.split(':').find((f) => f !== '');
  if (!file) throw new ConnectionConfigError('no apiserver given: pass --apiserver URL or --kubeconfig FILE (or set KUBECONFIG)');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConnectionConfigError(`cannot read kubeconfig ${file}: ${(err as Error).message}`);
  }
  const { namespace: _namespace, ...ctx } = parseKubeconfig(text, { baseDir: dirname(resolve(file)) });
  return { ...extra, ...ctx };
}

/** Reads one context (default: `current-context`) of a kubeconfig's text. */
export function parseKubeconfig(text: string, options: { context?: string; baseDir?: string; readFile?: (path: string) => string } = {}): KubeconfigContext {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new ConnectionConfigError(`kubeconfig is not YAML: ${(err as Error).message}`);
  }
  if (!isPlainObject(doc)) throw new ConnectionConfigError('kubeconfig is not a mapping');
  const contextName = options.context ?? (typeof doc['current-context'] === 'string' ? doc['current-context'] : undefined);
  if (!contextName) throw new ConnectionConfigError('kubeconfig has no current-context');
  const context = named(doc.contexts, contextName, 'context');
  const clusterName = typeof context.cluster === 'string' ? context.cluster : undefined;
  if (!clusterName) throw new ConnectionConfigError(`kubeconfig context ${contextName} names no cluster`);
  const cluster = named(doc.clusters, clusterName, 'cluster');
  const server = cluster.server;
  if (typeof server !== 'string' || server === '') throw new ConnectionConfigError(`kubeconfig cluster ${clusterName} has no server`);
  checkServer(server, `kubeconfig cluster ${clusterName}`);
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const pem = (entry: Record<string, unknown>, field: string): string | undefined => {
    const data = entry[`${field}-data`];
    if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
    const file = entry[field];
    if (typeof file !== 'string' || file === '') return undefined;
    const path = resolve(options.baseDir ?? '.', file);
    try {
      return readFile(path);
    } catch (err) {
      throw new ConnectionConfigError(`cannot read ${field} ${path}: ${(err as Error).message}`);
    }
  };
  const caPem = pem(cluster, 'certificate-authority');
  let clientCertPem: string | undefined;
  let clientKeyPem: string | undefined;
  let bearerToken: string | undefined;
  if (typeof context.user === 'string' && context.user !== '') {
    const user = named(doc.users, context.user, 'user');
    clientCertPem = pem(user, 'client-certificate');
    clientKeyPem = pem(user, 'client-key');
    if ((clientCertPem === undefined) !== (clientKeyPem === undefined))
      throw new ConnectionConfigError(`kubeconfig user ${context.user}: client-certificate and client-key go together`);
    if (typeof user.token === 'string' && user.token !== '') bearerToken = user.token;
    else if (typeof user.tokenFile === 'string' && user.tokenFile !== '') {
      const path = resolve(options.baseDir ?? '.', user.tokenFile);
      try {
        bearerToken = readFile(path).trim();
      } catch (err) {
        throw new ConnectionConfigError(`cannot read tokenFile ${path}: ${(err as Error).message}`);
      }
    }
  }
  return {
    server,
    ...(bearerToken ? { bearerToken } : {}),
    ...(caPem === undefined ? {} : { caPem }),
    ...(clientCertPem === undefined ? {} : { clientCertPem }),
    ...(clientKeyPem === undefined ? {} : { clientKeyPem }),
    ...(cluster['insecure-skip-tls-verify'] === true && server.startsWith('https:') ? { insecureSkipTlsVerify: true } : {}),
    ...(typeof context.namespace === 'string' && context.namespace !== '' ? { namespace: context.namespace } : {}),
  };
}

/** The inner mapping of the `{name, <field>}` entry called `name` in a kubeconfig list. */
function named(list: unknown, name: string, field: 'context' | 'cluster' | 'user'): Record<string, unknown> {
  if (Array.isArray(list)) {
    for (const entry of list) {
      if (isPlainObject(entry) && entry.name === name) {
        const inner = entry[field];
        return isPlainObject(inner) ? inner : {};
      }
    }
  }
  throw new ConnectionConfigError(`kubeconfig has no ${field} named ${name}`);
}

function checkServer(server: string, where: string): void {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new ConnectionConfigError(`${where}: ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new ConnectionConfigError(`${where}: only http:// and https:// apiservers are supported, not ${url.protocol}`);
}
