import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pino, { type Logger } from 'pino';
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import { InformerFactory } from '../kube/cache/informer-factory.js';
import { ApiEventRecorder } from '../kube/client/api-event-recorder.js';
import { CONNECTION_FLAGS_HELP, ConnectionConfigError, connectionFlagOptions, restClientOptionsFromFlags } from '../kube/client/connection-flags.js';
import { Resources } from '../kube/client/resource.js';
import { RestClient } from '../kube/client/rest-client.js';
import { FlagError, kubeBoolean, numberFlag, parseComponentFlags } from '../kube/component/component-flags.js';
import { ComponentServer } from '../kube/component/component-server.js';
import { installShutdownHandlers } from '../kube/component/process-lifecycle.js';
import { LeaderElector } from '../kube/leader-election/leader-elector.js';
import { DEFAULT_SCHEDULER_NAME } from './framework/pod-info.js';
import type { Node, Pod } from './framework/types.js';
import { PromSchedulerMetrics } from './metrics.js';
import { Scheduler } from './scheduler.js';

const HELP = `picokube scheduler: assigns pending pods to nodes (kube-scheduler)

usage: picokube scheduler (--apiserver URL | --kubeconfig FILE) [flags]

${CONNECTION_FLAGS_HELP}  --port N                  /healthz, /readyz and /metrics port (default 10259; 0 picks one)
  --leader-elect BOOL       elect one active copy through Lease kube-system/kube-scheduler (default true)
  --scheduler-name NAME     schedule pods whose spec.schedulerName is NAME (default ${DEFAULT_SCHEDULER_NAME})
  --percentage-of-nodes-to-score N
                            stop filtering once N% of the nodes fit (default 0: adaptive, as upstream)
  --max-binds-in-flight N   concurrent pods/binding calls (default 64)
  --kube-api-qps N          client-side request rate to the apiserver (default 0: unlimited)
  --kube-api-burst N        burst above that rate (default 2 × qps)
  --log-level LEVEL         pino level (default info)
  --help                    this text
`;

/** Event writes in flight at most (and the event client's socket pool). */
const EVENT_WRITES_IN_FLIGHT = 4;

export interface SchedulerFlags {
  readonly apiserver?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly port: number;
  readonly leaderElect: boolean;
  readonly schedulerName: string;
  readonly percentageOfNodesToScore: number;
  readonly maxBindsInFlight: number;
  readonly qps: number;
  readonly burst: number;
  readonly logLevel: string;
  readonly help: boolean;
}

/**
 * Parses the command line. `--leader-elect` alone means true; `--leader-elect=false` turns it
 * off, as with kube's boolean flags.
 */
export function parseSchedulerFlags(argv: readonly string[]): SchedulerFlags {
  const values = parseComponentFlags(
    argv,
    {
      ...connectionFlagOptions,
      port: { type: 'string', default: '10259' },
      'leader-elect': { type: 'string', default: 'true' },
      'scheduler-name': { type: 'string', default: DEFAULT_SCHEDULER_NAME },
      'percentage-of-nodes-to-score': { type: 'string', default: '0' },
      'max-binds-in-flight': { type: 'string', default: '64' },
      'kube-api-qps': { type: 'string', default: '0' },
      'kube-api-burst': { type: 'string', default: '0' },
      'log-level': { type: 'string', default: 'info' },
      help: { type: 'boolean', default: false },
    },
    ['leader-elect'],
  );
  const schedulerName = String(values['scheduler-name']);
  if (schedulerName === '') throw new FlagError('--scheduler-name must not be empty');
  const qps = numberFlag(String(values['kube-api-qps']), '--kube-api-qps', 0, Number.MAX_SAFE_INTEGER, false);
  const burst = numberFlag(String(values['kube-api-burst']), '--kube-api-burst', 0);
  return {
    apiserver: values.apiserver as string | undefined,
    kubeconfig: values.kubeconfig as string | undefined,
    port: numberFlag(String(values.port), '--port', 0, 65535),
    leaderElect: kubeBoolean(values['leader-elect'], '--leader-elect'),
    schedulerName,
    percentageOfNodesToScore: numberFlag(String(values['percentage-of-nodes-to-score']), '--percentage-of-nodes-to-score', 0, 100),
    maxBindsInFlight: numberFlag(String(values['max-binds-in-flight']), '--max-binds-in-flight', 1, 10_000),
    qps,
    burst: burst > 0 ? burst : Math.ceil(qps * 2),
    logLevel: String(values['log-level']),
    help: values.help === true,
  };
}

/**
 * `picokube scheduler`: runs until SIGTERM/SIGINT (releasing the lease so a standby takes over
 * at once), or exits 1 when it loses the lease, as kube-scheduler does. Caches are filled from
 * the start, so a standby is warm when it takes over.
 */
export async function main(argv: string[]): Promise<void> {
  let flags: SchedulerFlags;
  try {
    flags = parseSchedulerFlags(argv);
  } catch (err) {
    process.stderr.write(`picokube scheduler: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (flags.help) {
    process.stdout.write(HELP);
    return;
  }
  let logger: Logger;
  try {
    logger = pino({ level: flags.logLevel, base: { component: 'scheduler' } });
  } catch (err) {
    process.stderr.write(`picokube scheduler: --log-level: ${(err as Error).message}\n`);
    process.exit(2);
  }
  let client: RestClient;
  let eventClient: RestClient;
  try {
    const rate = flags.qps > 0 ? { qps: flags.qps, burst: flags.burst } : {};
    // Room for every bind in flight plus the status patches and lease renewals beside them, so
    // that a --max-binds-in-flight above the default is not capped by the socket pool.
    const maxSockets = Math.max(64, flags.maxBindsInFlight + 16);
    client = new RestClient(restClientOptionsFromFlags(flags, { userAgent: 'picokube-scheduler', maxSockets, ...rate }));
    // Events go through their own small connection pool: a backlog of Events never holds a
    // socket a bind is waiting for (kube-scheduler's event broadcaster is decoupled the same way).
    eventClient = new RestClient(restClientOptionsFromFlags(flags, { userAgent: 'picokube-scheduler', maxSockets: EVENT_WRITES_IN_FLIGHT, ...rate }));
  } catch (err) {
    const msg = err instanceof ConnectionConfigError ? err.message : `cannot build the apiserver client: ${(err as Error).message}`;
    process.stderr.write(`picokube scheduler: ${msg}\n`);
    process.exit(2);
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new PromSchedulerMetrics(registry, flags.schedulerName);
  // Scheduled Events are hints, binds are the work: a few Event writes at a time, so that under a
  // burst they take a small share of the apiserver's and the store's write throughput; beyond
  // the recorder's backlog (1000, as client-go's broadcaster queue) they are dropped and counted.
  const events = new ApiEventRecorder({ client: eventClient, component: flags.schedulerName, host: hostname(), logger, concurrency: EVENT_WRITES_IN_FLIGHT });
  let droppedReported = 0;
  const droppedEvents = new Counter({
    name: 'scheduler_events_dropped_total',
    help: 'Events not written because the event backlog was full.',
    registers: [registry],
    collect: () => {
      const dropped = events.dropped();
      if (dropped > droppedReported) droppedEvents.inc(dropped - droppedReported);
      droppedReported = dropped;
    },
  });
  const informers = new InformerFactory({ client, logger });
  // Finished pods hold no resources: leave them out of the cache, as kube-scheduler's informer does.
  const pods = informers.informerFor<Pod>(Resources.pods, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
  const nodes = informers.informerFor<Node>(Resources.nodes);
  const scheduler = new Scheduler({
    client,
    pods,
    nodes,
    events,
    logger,
    metrics,
    schedulerName: flags.schedulerName,
    percentageOfNodesToScore: flags.percentageOfNodesToScore,
    maxBindsInFlight: flags.maxBindsInFlight,
  });
  metrics.watchQueue(scheduler.queue);
  let synced = false;
  let shuttingDown = false;

  const server = new ComponentServer({ port: flags.port, ready: () => synced, registry });
  try {
    const port = await server.start();
    logger.info({ port, host: '127.0.0.1' }, 'serving /healthz, /readyz and /metrics');
  } catch (err) {
    process.stderr.write(`picokube scheduler: cannot listen on 127.0.0.1:${flags.port}: ${(err as Error).message}\n`);
    process.exit(2);
  }

  let elector: LeaderElector | undefined;
  installShutdownHandlers(
    async () => {
      shuttingDown = true;
      await scheduler.stop();
      await elector?.stop({ release: true });
      await events.flush();
      await informers.stop();
      await server.close();
      client.close();
      eventClient.close();
    },
    { logger },
  );

  informers.start();
  await informers.waitForSync();
  synced = true;
  logger.info({ nodes: scheduler.cache.nodeCount(), pending: scheduler.queue.counts() }, 'caches in sync');

  if (!flags.leaderElect) {
    scheduler.run();
    logger.info({ schedulerName: flags.schedulerName }, 'scheduling');
    return;
  }
  // The process id is part of the identity, so operators (and tests) can tell which copy holds the lease.
  const identity = `${hostname()}_${process.pid}_${randomUUID().slice(0, 8)}`;
  elector = new LeaderElector({
    client,
    namespace: 'kube-system',
    name: 'kube-scheduler',
    identity,
    logger,
    onStartedLeading: () => {
      logger.info({ identity }, 'became leader; scheduling');
      scheduler.run();
    },
    onStoppedLeading: () => {
      if (shuttingDown) return;
      // As kube-scheduler: a lost lease ends the process; a supervisor restarts it as a standby.
      logger.error({ identity }, 'leaderelection lost');
      void scheduler.stop().finally(() => process.exit(1));
    },
    onNewLeader: (leader) => {
      if (leader !== identity) logger.info({ leader }, 'new leader elected');
    },
  });
  logger.info({ identity, lease: 'kube-system/kube-scheduler' }, 'waiting to become leader');
  void elector.run();
}
