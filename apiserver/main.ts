import { parseArgs } from 'node:util';
import pino from 'pino';
import { WsStoreClient } from '../raft/client/ws-store-client.js';
import { preloadKubernetesProtobuf } from './protobuf/decode.js';
import { buildApiserver } from './server.js';

const HELP = `picokube apiserver: the Kubernetes REST API over the replicated store

usage: picokube apiserver --store HOST:PORT[,HOST:PORT...] [flags]

  --store ADDRS                  the store replicas' client addresses (required)
  --port N                       HTTP port (default 6443)
  --host ADDR                    address to bind (default 127.0.0.1)
  --watch-timeout-seconds N      a watch without timeoutSeconds lasts N..2N s (default 1800)
  --compaction-interval-seconds N  compact the store's history older than N s, every N s (default 300; 0 never)
  --watch-window-events N        recent changes each watch cache keeps for watches from an older resourceVersion (default 10000)
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
      'watch-timeout-seconds': { type: 'string', default: '1800' },
      'compaction-interval-seconds': { type: 'string', default: '300' },
      'watch-window-events': { type: 'string', default: '10000' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
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
  // Load the protobuf definitions now, not on the first `kubectl create` (a few hundred ms).
  preloadKubernetesProtobuf();
  const endpoints = (values.store as string).split(',').map((s) => s.trim()).filter(Boolean);
  const store = new WsStoreClient({ endpoints });
  const server = buildApiserver({
    store,
    logger,
    watchTimeoutSecondsMax: Number(values['watch-timeout-seconds']),
    compactionIntervalMs: Number(values['compaction-interval-seconds']) * 1000,
    eventWindowMax,
  });
  try {
    await server.app.listen({ port, host: values.host });
  } catch (err) {
    fail(`cannot listen on ${values.host}:${port}: ${(err as Error).message}`);
  }
  logger.info({ port, host: values.host, store: endpoints }, 'apiserver listening');
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
    await server.close().catch(() => {});
    await store.close().catch(() => {});
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
