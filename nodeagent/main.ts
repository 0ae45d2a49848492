import { mkdtempSync, readFileSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { InformerFactory } from '../kube/cache/informer-factory.js';
import { ApiEventRecorder } from '../kube/client/api-event-recorder.js';
import { ConnectionConfigError, restClientOptionsFromFlags } from '../kube/client/connection-flags.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { Resources } from '../kube/client/resource.js';
import { RestClient } from '../kube/client/rest-client.js';
import { realClock } from '../kube/clock.js';
import { FlagError } from '../kube/component/component-flags.js';
import { installShutdownHandlers } from '../kube/component/process-lifecycle.js';
import { NODE_HELP, type NodeAgentFlags, parseNodeAgentFlags } from './agent-flags.js';
import { AgentHost } from './agent-host.js';
import { AgentMetrics } from './agent-metrics.js';
import { LogServer } from './log-server.js';
import { goArch, type NodeConfig } from './node-config.js';
import { nodeIndexFromName, podCidrForIndex } from './pod-network.js';
import { podFieldSelector } from './pod-source.js';
import type { PodSupervisor } from './runtime/pod-supervisor.js';
import { createProcessRuntime } from './runtime/process-runtime.js';
import { createSimulatedRuntime } from './runtime/simulated-runtime.js';

/** How long containers get to stop when the agent itself is told to stop. */
const SHUTDOWN_GRACE_MS = 5000;

function fail(message: string): never {
  process.stderr.write(`picokube node: ${message}\n`);
  process.exit(2);
}

/** The host's OS name (`Debian GNU/Linux 12 (bookworm)`) for nodeInfo.osImage. */
function osImage(runtime: 'simulated' | 'process'): string {
  if (runtime === 'simulated') return 'picokube simulated node';
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) return m[1];
  } catch {
    // not Linux, or no os-release: fall through
  }
  return process.platform;
}

function nodeConfigs(flags: NodeAgentFlags, port: number): NodeConfig[] {
  const arch = goArch(process.arch);
  const kernelVersion = flags.runtime === 'process' ? release() : '';
  const image = osImage(flags.runtime);
  return flags.names.map((name) => ({
    name,
    cpu: flags.cpu,
    memory: flags.memory,
    pods: flags.pods,
    ephemeralStorage: flags.ephemeralStorage,
    labels: flags.labels,
    taints: flags.taints,
    runtime: flags.runtime,
    hostIP: '127.0.0.1',
    port,
    podCIDR: podCidrForIndex(nodeIndexFromName(name)),
    arch,
    kernelVersion,
    osImage: image,
  }));
}

function buildRuntime(flags: NodeAgentFlags, logger: Logger, recorder: EventRecorder | undefined): { runtime: PodSupervisor; killAll: () => void } {
  if (flags.runtime === 'simulated') {
    return { runtime: createSimulatedRuntime({ clock: realClock, fast: flags.fast, ...(recorder ? { recorder } : {}) }), killAll: () => {} };
  }
  const workRoot = flags.workDir ?? mkdtempSync(join(tmpdir(), `picokube-node-${flags.names[0] ?? 'node'}-`));
  const { runtime, launcher } = createProcessRuntime({
    clock: realClock,
    workRoot,
    baseEnv: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    warn: (message) => logger.warn(message),
    ...(recorder ? { recorder } : {}),
  });
  logger.info({ workRoot }, 'process runtime: pods run as local processes');
  return { runtime, killAll: () => launcher.killAll() };
}

/**
 * `picokube node`: registers its node(s), keeps their Leases and status, runs the pods bound to
 * them, and serves their logs to the apiserver. SIGTERM/SIGINT stops the containers and exits;
 * the Nodes stay in the API (the node lifecycle controller marks them NotReady), as a stopped
 * kubelet's do.
 */
export async function main(argv: string[]): Promise<void> {
  let flags: NodeAgentFlags;
  try {
    flags = parseNodeAgentFlags(argv);
  } catch (err) {
    fail(err instanceof FlagError ? err.message : String(err));
  }
  if (flags.help) {
    process.stdout.write(NODE_HELP);
    return;
  }
  let logger: Logger;
  try {
    logger = pino({ level: flags.logLevel, base: { component: 'node-agent' } });
  } catch (err) {
    fail(`--log-level: ${(err as Error).message}`);
  }
  let client: RestClient;
  try {
    client = new RestClient(restClientOptionsFromFlags(flags, { userAgent: 'picokube-node' }));
  } catch (err) {
    fail(err instanceof ConnectionConfigError ? err.message : `cannot build the apiserver client: ${(err as Error).message}`);
  }

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const single = flags.names.length === 1 ? flags.names[0] : undefined;
  const recorder = flags.events ? new ApiEventRecorder({ client, component: 'kubelet', ...(single ? { host: single } : {}), logger }) : undefined;
  const { runtime, killAll } = buildRuntime(flags, logger, recorder);
  // Whatever happens, no container process outlives the agent.
  process.on('exit', killAll);
  const metrics = new AgentMetrics(registry, runtime);

  let host: AgentHost | undefined;
  const server = new LogServer({ runtime, clock: realClock, port: flags.port, metrics: registry, ready: () => host?.ready() ?? false });
  let port: number;
  try {
    port = await server.start();
  } catch (err) {
    fail(`cannot listen on 127.0.0.1:${flags.port}: ${(err as Error).message}`);
  }

  const informers = new InformerFactory({ client, logger });
  const podInformer = informers.informerFor(Resources.pods, { fieldSelector: podFieldSelector(flags.names) });
  const nodeInformer = informers.informerFor(Resources.nodes, flags.names.length === 1 ? { fieldSelector: `metadata.name=${flags.names[0] ?? ''}` } : {});
  const renewMs = flags.leaseRenewSeconds * 1000;
  host = new AgentHost({
    client,
    clock: realClock,
    nodes: nodeConfigs(flags, port),
    runtime,
    podInformer,
    nodeInformer,
    logger,
    metrics,
    workers: flags.podWorkers,
    leaseRenewMs: renewMs,
    leaseDurationSeconds: Math.max(40, flags.leaseRenewSeconds * 4),
    statusReportMs: flags.statusReportSeconds * 1000,
  });
  const running = host;
  installShutdownHandlers(
    async () => {
      await running.stop(SHUTDOWN_GRACE_MS);
      await server.close();
      killAll();
    },
    { logger },
  );
  logger.info({ nodes: flags.names.length, first: flags.names[0], runtime: flags.runtime, port }, 'registering nodes');
  await running.start();
}
