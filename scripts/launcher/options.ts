import { parseArgs } from 'node:util';

/** A command line the launcher cannot act on; the message says what to fix. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const DEFAULT_DIR = '.picokube';
export const DEFAULT_STORE_PORTS: readonly number[] = [2379, 2389, 2399];
export const DEFAULT_APISERVER_PORT = 6443;
/** The store's default replica count; --replicas may ask for 5 (an even count or 1 gains nothing). */
export const STORE_REPLICAS = 3;
export const STORE_REPLICA_COUNTS: readonly number[] = [3, 5];
/** How many apiservers, schedulers or controller-managers one `up` may start. */
export const MAX_CONTROL_PLANE_COPIES = 9;

/** The default client ports of `replicas` store replicas: 2379, 2389, 2399 (, 2409, 2419), peer ports one above. */
export function defaultStorePorts(replicas: number): number[] {
  return Array.from({ length: replicas }, (_, i) => 2379 + 10 * i);
}
export const DEFAULT_NODES = 3;
export const NODE_RUNTIMES = ['simulated', 'process'] as const;
export type NodeRuntime = (typeof NODE_RUNTIMES)[number];

/**
 * What `picokube up` was asked for. Ports are absent when not given on the command line, so that
 * a directory's recorded ports (cluster.json) win over the defaults on a restart.
 */
export interface UpOptions {
  readonly dir: string;
  readonly detach: boolean;
  /**
   * Set on the launcher `up --detach` starts in the background (not for users): it supervises
   * like a foreground launcher, but reports its start to the waiting `up --detach` and logs to
   * DIR/logs/launcher.log.
   */
  readonly background: boolean;
  readonly apiserverPort?: number;
  readonly storePorts?: readonly number[];
  /** How many node agents (`node-1` … `node-N`); absent: the recorded number, else 3. */
  readonly nodes?: number;
  /** How the node agents run containers; absent: the recorded runtime, else simulated. */
  readonly runtime?: NodeRuntime;
  /** Store replicas, 3 or 5; fixed once the cluster exists. Absent: the recorded count, else that of --store-ports, else 3. */
  readonly replicas?: number;
  /** Apiservers on the apiserver port, +1, …; absent: the recorded number, else 1. */
  readonly apiservers?: number;
  /** Schedulers; all but the Lease holder are standbys. Absent: the recorded number, else 1. */
  readonly schedulers?: number;
  /** Controller-managers; all but the Lease holder are standbys. Absent: the recorded number, else 1. */
  readonly controllerManagers?: number;
  readonly logLevel: string;
  readonly help: boolean;
}

/** What `picokube down` and `picokube status` were asked for. */
export interface DirOptions {
  readonly dir: string;
  readonly help: boolean;
}

const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** parseArgs, with its complaints (unknown flag, missing value) as UsageErrors. */
function parse<T>(run: () => T): T {
  try {
    return run();
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag}: expected a port number, got '${text}'`);
  const port = Number(text);
  if (port < 1 || port > 65535) throw new UsageError(`${flag}: port ${port} is outside 1-65535`);
  return port;
}

/**
 * `A,B,C`: one client port per store replica; each replica's peer port is its client port + 1.
 * `replicas` is the count asked for with --replicas; without it 3 or 5 ports are accepted.
 */
export function parseStorePorts(text: string, replicas?: number): number[] {
  const ports = text.split(',').map((p) => parsePort(p, '--store-ports'));
  if (replicas !== undefined && ports.length !== replicas) {
    throw new UsageError(`--store-ports: expected ${replicas} ports (one per store replica, --replicas ${replicas}), got ${ports.length}`);
  }
  if (!STORE_REPLICA_COUNTS.includes(ports.length)) {
    throw new UsageError(`--store-ports: expected ${STORE_REPLICAS} ports (one per store replica; 5 with --replicas 5), got ${ports.length}`);
  }
  return ports;
}

export function parseReplicas(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !STORE_REPLICA_COUNTS.includes(n))
    throw new UsageError(`--replicas: expected ${STORE_REPLICA_COUNTS.join(' or ')} store replicas, got '${text}'`);
  return n;
}

/** --apiservers, --schedulers, --controller-managers: 1 to MAX_CONTROL_PLANE_COPIES. */
export function parseCopies(text: string, flag: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_CONTROL_PLANE_COPIES)
    throw new UsageError(`${flag}: expected a number from 1 to ${MAX_CONTROL_PLANE_COPIES}, got '${text}'`);
  return n;
}

export function parseUpOptions(argv: string[]): UpOptions {
  const { values: v } = parse(() =>
    parseArgs({
      args: argv,
      strict: true,
      options: {
        dir: { type: 'string', default: DEFAULT_DIR },
        detach: { type: 'boolean', short: 'd', default: false },
        background: { type: 'boolean', default: false },
        'apiserver-port': { type: 'string' },
        'store-ports': { type: 'string' },
        nodes: { type: 'string' },
        runtime: { type: 'string' },
        replicas: { type: 'string' },
        apiservers: { type: 'string' },
        schedulers: { type: 'string' },
        'controller-managers': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  const logLevel = v['log-level'];
  if (!LOG_LEVELS.has(logLevel)) throw new UsageError(`--log-level: expected one of ${[...LOG_LEVELS].join(', ')}, got '${logLevel}'`);
  const apiserverPort = typeof v['apiserver-port'] === 'string' ? parsePort(v['apiserver-port'], '--apiserver-port') : undefined;
  const replicas = typeof v.replicas === 'string' ? parseReplicas(v.replicas) : undefined;
  const storePorts = typeof v['store-ports'] === 'string' ? parseStorePorts(v['store-ports'], replicas) : undefined;
  const copies = (flag: 'apiservers' | 'schedulers' | 'controller-managers'): number | undefined => {
    const text = v[flag];
    return typeof text === 'string' ? parseCopies(text, `--${flag}`) : undefined;
  };
  const apiservers = copies('apiservers');
  const schedulers = copies('schedulers');
  const controllerManagers = copies('controller-managers');
  const nodes = typeof v.nodes === 'string' ? parseNodeCount(v.nodes) : undefined;
  const runtime = typeof v.runtime === 'string' ? parseRuntime(v.runtime) : undefined;
  return {
    dir: v.dir,
    detach: v.detach,
    background: v.background,
    logLevel,
    help: v.help,
    ...(apiserverPort !== undefined ? { apiserverPort } : {}),
    ...(storePorts !== undefined ? { storePorts } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
    ...(runtime !== undefined ? { runtime } : {}),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(apiservers !== undefined ? { apiservers } : {}),
    ...(schedulers !== undefined ? { schedulers } : {}),
    ...(controllerManagers !== undefined ? { controllerManagers } : {}),
  };
}

/** 0 is allowed: a control plane without nodes (pods stay Pending). */
export function parseNodeCount(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) > 100) throw new UsageError(`--nodes: expected a number of node agents from 0 to 100, got '${text}'`);
  return Number(text);
}

export function parseRuntime(text: string): NodeRuntime {
  const runtime = NODE_RUNTIMES.find((r) => r === text);
  if (!runtime) throw new UsageError(`--runtime: expected ${NODE_RUNTIMES.join(' or ')}, got '${text}'`);
  return runtime;
}

export function parseDirOptions(argv: string[]): DirOptions {
  const { values: v } = parse(() =>
    parseArgs({
      args: argv,
      strict: true,
      options: {
        dir: { type: 'string', default: DEFAULT_DIR },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }),
  );
  return { dir: v.dir, help: v.help };
}
