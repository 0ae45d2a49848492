import type { Server } from 'node:http';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { WsStoreClient } from '../raft/client/ws-store-client.js';
import { loadSecret } from '../raft/transport/secret.js';
import { preloadKubernetesProtobuf } from './protobuf/decode.js';
import { buildApiserver } from './server.js';
import { type AuthorizerFactory, authorizerForMode, parseAuthorizationMode } from './authz/authorization-mode.js';
import { EVENT_TTL_SECONDS_DEFAULT, parseTtlSeconds } from './storage/object-leases.js';
import { AUTHENTICATION_FLAGS_HELP, type AuthenticationSetup, authenticationFlagOptions, authenticationFromFlags } from './auth/authentication-flags.js';
import { listenInsecure } from './insecure-listener.js';
import { ADMISSION_AUDIT_FLAGS_HELP, type AdmissionAuditSetup, admissionAuditFlagOptions, admissionAuditFromFlags } from './admission-audit-flags.js';
import { serviceAllocators } from './allocators/service-allocators.js';

const HELP = `picokube apiserver: the Kubernetes REST API over the replicated store

usage: picokube apiserver --store HOST:PORT[,HOST:PORT...] [flags]

  --store ADDRS                  the store replicas' client addresses (required)
  --port N                       HTTP port (default 6443)
  --host ADDR                    address to bind (default 127.0.0.1)
  --store-secret-file FILE       the store's cluster secret, for replicas run with --client-auth secret
  --watch-timeout-seconds N      a watch without timeoutSeconds lasts N..2N s (default 1800)
  --compaction-interval-seconds N  compact the store's history older than N s, every N s (default 300; 0 never)
  --watch-window-events N        recent changes each watch cache keeps for watches from an older resourceVersion (default 10000)
  --event-ttl DURATION           how long Events live after their last write (default 1h0m0s)
  --service-cluster-ip-range CIDR  where Services' cluster IPs come from (default 10.96.0.0/12)
  --service-node-port-range A-B  where NodePort Services' node ports come from (default 30000-32767)
${AUTHENTICATION_FLAGS_HELP.trimEnd()}
  --authorization-mode MODE      AlwaysAllow (default), RBAC or Node,RBAC
${ADMISSION_AUDIT_FLAGS_HELP.trimEnd()}
  --log-level LEVEL              pino level (default info)
  --help                         this text

Several apiservers can serve one store: they keep no state of their own.
`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      store: { type: 'string' },
      port: { type: 'string', default: '6443' },
      host: { type: 'string', default: '127.0.0.1' },
      'store-secret-file': { type: 'string' },
      'watch-timeout-seconds': { type: 'string', default: '1800' },
      'compaction-interval-seconds': { type: 'string', default: '300' },
      'watch-window-events': { type: 'string', default: '10000' },
      'event-ttl': { type: 'string', default: '1h0m0s' },
      'service-cluster-ip-range': { type: 'string', default: '10.96.0.0/12' },
      'service-node-port-range': { type: 'string', default: '30000-32767' },
      'log-level': { type: 'string', default: 'info' },
      'authorization-mode': { type: 'string', default: 'AlwaysAllow' },
      help: { type: 'boolean', default: false },
      ...authenticationFlagOptions,
      ...admissionAuditFlagOptions,
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const logger = pino({ level: values['log-level'], base: { component: 'apiserver' } });
  const fail = (msg: string): never => {
    process.stderr.write(`picokube apiserver: ${msg}\n`);
    process.exit(2);
  };
  if (!values.store) fail('--store is required');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail('--port must be a port number');
  const eventWindowMax = Number(values['watch-window-events']);
  if (!Number.isSafeInteger(eventWindowMax) || eventWindowMax < 1) fail('--watch-window-events must be a positive integer');
  let eventTtlSeconds = EVENT_TTL_SECONDS_DEFAULT;
  try {
    eventTtlSeconds = parseTtlSeconds(values['event-ttl']);
  } catch (err) {
    fail(`--event-ttl: ${(err as Error).message}`);
  }
  let auth: AuthenticationSetup = { apiserverOptions: {}, insecurePort: undefined };
  try {
    auth = authenticationFromFlags(values);
  } catch (err) {
    fail((err as Error).message);
  }
  let authorizer: AuthorizerFactory | undefined;
  try {
    authorizer = authorizerForMode(parseAuthorizationMode(values['authorization-mode']));
  } catch (err) {
    fail(`--authorization-mode: ${(err as Error).message}`);
  }
  let admissionAudit: AdmissionAuditSetup | undefined;
  try {
    admissionAudit = admissionAuditFromFlags(values, logger);
  } catch (err) {
    fail((err as Error).message);
  }
  // Load the protobuf definitions now, not on the first `kubectl create` (a few hundred ms).
  preloadKubernetesProtobuf();
  const endpoints = (values.store as string)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  let storeSecret: Uint8Array | undefined;
  try {
    storeSecret = values['store-secret-file'] === undefined ? undefined : loadSecret({ file: values['store-secret-file'] });
  } catch (err) {
    fail(`--store-secret-file: ${(err as Error).message}`);
  }
  const store = new WsStoreClient({ endpoints, ...(storeSecret ? { secret: storeSecret } : {}) });
  try {
    serviceAllocators(store, values['service-cluster-ip-range'], values['service-node-port-range']);
  } catch (err) {
    fail(`${(err as Error).message} (--service-cluster-ip-range, --service-node-port-range)`);
  }
  const server = buildApiserver({
    store,
    logger,
    ...admissionAudit,
    watchTimeoutSecondsMax: Number(values['watch-timeout-seconds']),
    compactionIntervalMs: Number(values['compaction-interval-seconds']) * 1000,
    eventWindowMax,
    eventTtlSeconds,
    ...auth.apiserverOptions,
    serviceClusterIPRange: values['service-cluster-ip-range'],
    serviceNodePortRange: values['service-node-port-range'],
    ...(authorizer ? { authorizer } : {}),
  });
  try {
    await server.app.listen({ port, host: values.host });
  } catch (err) {
    fail(`cannot listen on ${values.host}:${port}: ${(err as Error).message}`);
  }
  logger.info({ port, host: values.host, store: endpoints, tls: auth.apiserverOptions.tls !== undefined }, 'apiserver listening');
  let insecure: Server | undefined;
  if (auth.insecurePort !== undefined) {
    try {
      insecure = await listenInsecure(server.app, auth.insecurePort);
    } catch (err) {
      fail(`cannot listen on 127.0.0.1:${auth.insecurePort} (--insecure-port): ${(err as Error).message}`);
    }
    logger.warn({ port: auth.insecurePort, host: '127.0.0.1' }, 'insecure port: plain HTTP, no authentication, every request is system:masters');
  }
  // Ready (the /readyz answer) once every watch cache is in sync; until then it answers but says not ready.
  // A store that is still electing (or down) only delays readiness: keep trying.
  void (async () => {
    for (let delayMs = 200; ; delayMs = Math.min(delayMs * 2, 5000)) {
      try {
        await server.startCaches();
        logger.info('watch caches in sync; ready');
        return;
      } catch (err) {
        logger.warn({ err: (err as Error).message, retryInMs: delayMs }, 'cannot start yet: the store is not answering');
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  })();
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    insecure?.closeAllConnections();
    insecure?.close();
    await server.close().catch(() => {});
    await store.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
