import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { InformerFactory } from '../kube/cache/informer-factory.js';
import { ApiEventRecorder } from '../kube/client/api-event-recorder.js';
import { CONNECTION_FLAGS_HELP, ConnectionConfigError, connectionFlagOptions, restClientOptionsFromFlags } from '../kube/client/connection-flags.js';
import { RestClient } from '../kube/client/rest-client.js';
import { FlagError, kubeBoolean, numberFlag, parseComponentFlags } from '../kube/component/component-flags.js';
import { ComponentServer } from '../kube/component/component-server.js';
import { installShutdownHandlers } from '../kube/component/process-lifecycle.js';
import { LeaderElector } from '../kube/leader-election/leader-elector.js';
import { PromWorkQueueMetrics } from '../kube/workqueue/queue-metrics.js';
import { RateLimitingQueue } from '../kube/workqueue/work-queue.js';
import { LOAD_BALANCER_IP_POOL_DEFAULT, LoadBalancerPool } from './load-balancer-pool.js';
import { LOCAL_PATH_DIR_DEFAULT } from './local-path-provisioner.js';
import { ControllerManager } from './manager.js';
import { type NodeLifecycleOptions, nodeLifecycleControllerFactory } from './node-lifecycle-controller.js';
import { NODE_LIFECYCLE_FLAGS_HELP, nodeLifecycleFlagOptions, nodeLifecycleOptionsFromFlags } from './node-lifecycle-flags.js';
import { persistentVolumeControllerFactory } from './persistentvolume-controller.js';
import { controllerRegistry, enabledControllers, parseControllersFlag } from './registry.js';
import { serviceLbControllerFactory } from './service-lb-controller.js';
import { serviceAccountTokenFactoryFromFiles } from './serviceaccount-token-controller.js';

const HELP = `picokube controller-manager: the workload controllers (kube-controller-manager)

usage: picokube controller-manager (--apiserver URL | --kubeconfig FILE) [flags]

${CONNECTION_FLAGS_HELP}  --port N              /healthz, /readyz and /metrics port (default 10257; 0 picks one)
  --leader-elect BOOL   elect one active copy through Lease kube-system/kube-controller-manager (default true)
  --controllers LIST    which to run: * for all, name to enable, -name to disable (default *)
                        known: ${Object.keys(controllerRegistry).join(', ')}
  --kube-api-qps N      client-side request rate to the apiserver (default 300; kube's is 20,
                        sized for a shared production apiserver, far below what a local one takes)
  --kube-api-burst N    burst above that rate (default 600)
  --local-path-dir DIR  where the local-path provisioner makes volume directories (default ${LOCAL_PATH_DIR_DEFAULT})
  --service-account-private-key-file FILE
                        PEM RSA key that signs ServiceAccount tokens; without it the
                        serviceaccount-token controller does not run (as kube)
  --root-ca-file FILE   PEM CA bundle put in token Secrets as ca.crt
  --load-balancer-ip-pool LIST
                        addresses the simulated load balancer gives LoadBalancer Services:
                        IPs, first-last ranges, CIDRs (default ${LOAD_BALANCER_IP_POOL_DEFAULT})
${NODE_LIFECYCLE_FLAGS_HELP}  --log-level LEVEL     pino level (default info)
  --help                this text
`;

export interface ControllerManagerFlags {
  readonly apiserver?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly port: number;
  readonly leaderElect: boolean;
  readonly controllers: string[];
  readonly qps: number;
  readonly burst: number;
  readonly localPathDir: string;
  readonly serviceAccountPrivateKeyFile?: string | undefined;
  readonly rootCaFile?: string | undefined;
  readonly nodeLifecycle: NodeLifecycleOptions;
  readonly loadBalancerPool: LoadBalancerPool;
  readonly logLevel: string;
  readonly help: boolean;
}

function positiveNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new FlagError(`${flag} must be a positive number`);
  return n;
}

/**
 * Parses the command line. `--leader-elect` alone means true; `--leader-elect=false` turns it
 * off, as with kube's boolean flags.
 */
export function parseControllerManagerFlags(argv: readonly string[]): ControllerManagerFlags {
  const values = parseComponentFlags(
    argv,
    {
      ...connectionFlagOptions,
      port: { type: 'string', default: '10257' },
      'leader-elect': { type: 'string', default: 'true' },
      controllers: { type: 'string', default: '*' },
      'kube-api-qps': { type: 'string', default: '300' },
      'kube-api-burst': { type: 'string', default: '600' },
      'local-path-dir': { type: 'string', default: LOCAL_PATH_DIR_DEFAULT },
      'service-account-private-key-file': { type: 'string' },
      'root-ca-file': { type: 'string' },
      'load-balancer-ip-pool': { type: 'string', default: LOAD_BALANCER_IP_POOL_DEFAULT },
      ...nodeLifecycleFlagOptions,
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    ['leader-elect'],
  );
  const port = numberFlag(String(values.port), '--port', 0, 65535);
  const leaderElect = kubeBoolean(values['leader-elect'], '--leader-elect');
  if (String(values['local-path-dir']).trim() === '') throw new FlagError('--local-path-dir must not be empty');
  let nodeLifecycle: NodeLifecycleOptions;
  try {
    nodeLifecycle = nodeLifecycleOptionsFromFlags(values);
  } catch (err) {
    throw new FlagError((err as Error).message);
  }
  let loadBalancerPool: LoadBalancerPool;
  try {
    loadBalancerPool = LoadBalancerPool.parse(String(values['load-balancer-ip-pool']));
  } catch (err) {
    throw new FlagError(`--load-balancer-ip-pool: ${(err as Error).message}`);
  }
  let controllers: string[];
  try {
    controllers = enabledControllers(parseControllersFlag(String(values.controllers)));
  } catch (err) {
    throw new FlagError(`--controllers: ${(err as Error).message}`);
  }
  return {
    apiserver: values.apiserver as string | undefined,
    kubeconfig: values.kubeconfig as string | undefined,
    port,
    leaderElect,
    controllers,
    qps: positiveNumber(String(values['kube-api-qps']), '--kube-api-qps'),
    burst: positiveNumber(String(values['kube-api-burst']), '--kube-api-burst'),
    localPathDir: String(values['local-path-dir']),
    serviceAccountPrivateKeyFile: values['service-account-private-key-file'] as string | undefined,
    rootCaFile: values['root-ca-file'] as string | undefined,
    nodeLifecycle,
    loadBalancerPool,
    logLevel: String(values['log-level']),
    help: values.help === true,
  };
}

function syncMetrics(registry: Registry): (controller: string, durationMs: number, error: unknown) => void {
  const total = new Counter({
    name: 'controller_sync_total',
    help: 'Syncs by controller and result.',
    labelNames: ['controller', 'result'],
    registers: [registry],
  });
  const seconds = new Histogram({
    name: 'controller_sync_duration_seconds',
    help: 'How long one sync took.',
    labelNames: ['controller'],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 2.5, 10],
    registers: [registry],
  });
  return (controller, durationMs, error) => {
    total.inc({ controller, result: error === undefined ? 'success' : 'error' });
    seconds.observe({ controller }, durationMs / 1000);
  };
}

/** `picokube controller-manager`: runs until SIGTERM/SIGINT, or exits 1 when it loses leadership. */
export async function main(argv: string[]): Promise<void> {
  let flags: ControllerManagerFlags;
  try {
    flags = parseControllerManagerFlags(argv);
  } catch (err) {
    process.stderr.write(`picokube controller-manager: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  const logger: Logger = pino({ level: flags.logLevel, base: { component: 'controller-manager' } });
  // kube runs the token controller only with a signing key.
  let tokenFactory: ReturnType<typeof serviceAccountTokenFactoryFromFiles>;
  try {
    tokenFactory = serviceAccountTokenFactoryFromFiles(flags);
  } catch (err) {
    process.stderr.write(`picokube controller-manager: ${(err as Error).message}\n`);
    process.exit(2);
  }
  const controllers = tokenFactory ? flags.controllers : flags.controllers.filter((n) => n !== 'serviceaccount-token');
  if (!tokenFactory && flags.controllers.includes('serviceaccount-token')) {
    logger.info('not starting serviceaccount-token: no --service-account-private-key-file');
  }
  let client: RestClient;
  try {
    client = new RestClient(restClientOptionsFromFlags(flags, { userAgent: 'picokube-controller-manager', qps: flags.qps, burst: flags.burst }));
  } catch (err) {
    const msg = err instanceof ConnectionConfigError ? err.message : `cannot build the apiserver client: ${(err as Error).message}`;
    process.stderr.write(`picokube controller-manager: ${msg}\n`);
    process.exit(2);
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const queueMetrics = new PromWorkQueueMetrics(registry);
  const onSync = syncMetrics(registry);
  const recorders = new Map<string, ApiEventRecorder>();
  // The process id is part of the identity, so operators (and tests) can tell which copy holds the lease.
  const identity = `${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;
  let manager: ControllerManager | undefined;
  let synced = false;
  let shuttingDown = false;

  const startControllers = async (): Promise<void> => {
    const informers = new InformerFactory({ client, logger });
    manager = new ControllerManager({
      client,
      informers,
      logger,
      controllers,
      registry: {
        ...controllerRegistry,
        nodelifecycle: nodeLifecycleControllerFactory(flags.nodeLifecycle),
        'persistentvolume-binder': persistentVolumeControllerFactory({ localPathDir: flags.localPathDir }),
        ...(tokenFactory ? { 'serviceaccount-token': tokenFactory } : {}),
        service: serviceLbControllerFactory({ pool: flags.loadBalancerPool }),
      },
      recorderFor: (component) => {
        let r = recorders.get(component);
        if (!r) {
          r = new ApiEventRecorder({ client, component, host: hostname(), logger });
          recorders.set(component, r);
        }
        return r;
      },
      newQueue: (name) => new RateLimitingQueue<string>({ name, metrics: queueMetrics }),
      onSync,
    });
    logger.info({ controllers }, 'starting controllers; waiting for caches');
    await manager.start();
    synced = true;
    logger.info('caches in sync; controllers running');
  };

  // Ready once the caches are in sync; a standby waiting for the lease is ready too.
  const server = new ComponentServer({ port: flags.port, ready: () => synced || (flags.leaderElect && manager === undefined), registry });
  try {
    const port = await server.start();
    logger.info({ port, host: '127.0.0.1' }, 'serving /healthz, /readyz and /metrics');
  } catch (err) {
    process.stderr.write(`picokube controller-manager: cannot listen on 127.0.0.1:${flags.port}: ${(err as Error).message}\n`);
    process.exit(2);
  }

  let elector: LeaderElector | undefined;
  installShutdownHandlers(
    async () => {
      shuttingDown = true;
      await manager?.stop();
      await elector?.stop({ release: true });
      await Promise.all([...recorders.values()].map((r) => r.flush()));
      await server.close();
      client.close();
    },
    { logger },
  );

  if (!flags.leaderElect) {
    await startControllers();
    return;
  }
  elector = new LeaderElector({
    client,
    namespace: 'kube-system',
    name: 'kube-controller-manager',
    identity,
    logger,
    onStartedLeading: () => {
      logger.info({ identity }, 'became leader');
      startControllers().catch((err: unknown) => {
        logger.error({ err: (err as Error).message }, 'controllers failed to start');
        process.exit(1);
      });
    },
    onStoppedLeading: () => {
      if (shuttingDown) return;
      // As kube-controller-manager: a lost lease ends the process; a supervisor restarts it as a standby.
      logger.error({ identity }, 'leaderelection lost');
      void (manager?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    },
    onNewLeader: (leader) => {
      if (leader !== identity) logger.info({ leader }, 'new leader elected');
    },
  });
  logger.info({ identity, lease: 'kube-system/kube-controller-manager' }, 'waiting to become leader');
  void elector.run();
}
