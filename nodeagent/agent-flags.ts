import { CONNECTION_FLAGS_HELP, connectionFlagOptions } from '../kube/client/connection-flags.js';
import { FlagError, numberFlag, parseComponentFlags } from '../kube/component/component-flags.js';
import { NodeConfigError, parseLabels, parseQuantity, parseTaints, type Taint } from './node-config.js';

/** The command line of `picokube node`, parsed and checked (pure apart from reading argv). */

export const NODE_HELP = `picokube node: node agents, the kubelet's part (one node, or many simulated ones)

usage: picokube node (--apiserver URL | --kubeconfig FILE) [flags]

${CONNECTION_FLAGS_HELP}  --name NAME                the node's name (default: node-1)
  --count N                  nodes this process hosts (default 1); they are named
                             PREFIX<i> for i = --first-index … (zero-padded to the widest)
  --name-prefix PREFIX       with --count (default sim-)
  --first-index N            the first i with --count (default 1), to run several such processes
  --cpu Q                    CPU capacity (default 4)
  --memory Q                 memory capacity (default 8Gi)
  --pods N                   pod capacity (default 110)
  --ephemeral-storage Q      ephemeral-storage capacity (default 100Gi)
  --labels k=v,...           extra node labels
  --taints k=v:Effect,...    taints to register with (NoSchedule, PreferNoSchedule, NoExecute)
  --runtime simulated|process
                             simulated (default): containers "run" at once, nothing is started,
                             so one process holds thousands of nodes; process: each container's
                             command/args runs as a local process (image ignored), with logs
  --fast                     simulated: report Running at once, without ContainerCreating first
  --port N                   log server, /healthz and /metrics port (default 10250; 0 picks one);
                             all nodes of the process share it
  --lease-renew-seconds N    node Lease renewal period (default 10; the lease lasts 4 times that, at least 40 s)
  --status-report-seconds N  node status report period (default 60; the Lease is the heartbeat)
  --pod-workers N            concurrent pod syncs (default 16)
  --work-dir DIR             process runtime: where pods get working directories (default a temp dir)
  --events true|false        record Created/Started/Killing/BackOff events (default: true for the
                             process runtime, false for simulated)
  --log-level LEVEL          pino level (default info)
  --help                     this text
`;

export interface NodeAgentFlags {
  readonly apiserver?: string | undefined;
  readonly kubeconfig?: string | undefined;
  readonly names: readonly string[];
  readonly cpu: string;
  readonly memory: string;
  readonly pods: number;
  readonly ephemeralStorage: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly Taint[];
  readonly runtime: 'simulated' | 'process';
  readonly fast: boolean;
  readonly port: number;
  readonly leaseRenewSeconds: number;
  readonly statusReportSeconds: number;
  readonly podWorkers: number;
  readonly workDir: string | undefined;
  readonly events: boolean;
  readonly logLevel: string;
  readonly help: boolean;
}

/** The node names a process hosts: `--name`, or `--count` names from the prefix. */
export function nodeNames(name: string, count: number, prefix: string, firstIndex: number): string[] {
  if (count === 1 && prefix === '') return [name];
  const width = String(firstIndex + count - 1).length;
  return Array.from({ length: count }, (_, i) => `${prefix}${String(firstIndex + i).padStart(width, '0')}`);
}

export function parseNodeAgentFlags(argv: readonly string[]): NodeAgentFlags {
  const values = parseComponentFlags(argv, {
    ...connectionFlagOptions,
    name: { type: 'string' },
    count: { type: 'string', default: '1' },
    'name-prefix': { type: 'string' },
    'first-index': { type: 'string', default: '1' },
    cpu: { type: 'string', default: '4' },
    memory: { type: 'string', default: '8Gi' },
    pods: { type: 'string', default: '110' },
    'ephemeral-storage': { type: 'string', default: '100Gi' },
    labels: { type: 'string', default: '' },
    taints: { type: 'string', default: '' },
    runtime: { type: 'string', default: 'simulated' },
    fast: { type: 'boolean', default: false },
    port: { type: 'string', default: '10250' },
    'lease-renew-seconds': { type: 'string', default: '10' },
    'status-report-seconds': { type: 'string', default: '60' },
    'pod-workers': { type: 'string', default: '16' },
    'work-dir': { type: 'string' },
    events: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    help: { type: 'boolean', default: false },
  });
  const runtime = String(values.runtime);
  if (runtime !== 'simulated' && runtime !== 'process') throw new FlagError('--runtime must be simulated or process');
  const count = numberFlag(String(values.count), '--count', 1, 100_000);
  const firstIndex = numberFlag(String(values['first-index']), '--first-index', 0, 1_000_000_000);
  const explicitPrefix = values['name-prefix'] as string | undefined;
  const prefix = count > 1 ? (explicitPrefix ?? 'sim-') : (explicitPrefix ?? '');
  const names = nodeNames((values.name as string | undefined) ?? 'node-1', count, prefix, firstIndex);
  const events = values.events === undefined ? runtime === 'process' : String(values.events);
  if (events !== true && events !== false && events !== 'true' && events !== 'false') throw new FlagError('--events must be true or false');
  try {
    return {
      apiserver: values.apiserver as string | undefined,
      kubeconfig: values.kubeconfig as string | undefined,
      names,
      cpu: parseQuantity('--cpu', String(values.cpu)),
      memory: parseQuantity('--memory', String(values.memory)),
      pods: numberFlag(String(values.pods), '--pods', 1, 100_000),
      ephemeralStorage: parseQuantity('--ephemeral-storage', String(values['ephemeral-storage'])),
      labels: parseLabels(String(values.labels)),
      taints: parseTaints(String(values.taints)),
      runtime,
      fast: values.fast === true,
      port: numberFlag(String(values.port), '--port', 0, 65535),
      leaseRenewSeconds: numberFlag(String(values['lease-renew-seconds']), '--lease-renew-seconds', 1, 3600),
      statusReportSeconds: numberFlag(String(values['status-report-seconds']), '--status-report-seconds', 1, 86_400),
      podWorkers: numberFlag(String(values['pod-workers']), '--pod-workers', 1, 1024),
      workDir: values['work-dir'] as string | undefined,
      events: events === true || events === 'true',
      logLevel: String(values['log-level']),
      help: values.help === true,
    };
  } catch (err) {
    if (err instanceof NodeConfigError) throw new FlagError(err.message);
    throw err;
  }
}
