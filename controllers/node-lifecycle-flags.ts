import { DEFAULT_NODE_LIFECYCLE_OPTIONS, type NodeLifecycleOptions } from './node-lifecycle-controller.js';

/** The controller-manager flags of the node lifecycle controller (kube's names and defaults). */

export const NODE_LIFECYCLE_FLAGS_HELP = `  --node-monitor-grace-period DURATION
                        silence (no Lease renewal, no status) after which a node is Unknown
                        and tainted unreachable (default 50s, as kube 1.32)
  --node-eviction-rate N
                        nodes per second that may get a NoExecute taint (default 0.1)
  --secondary-node-eviction-rate N
                        that rate in a large cluster when too many nodes are down (default 0.01)
  --unhealthy-zone-threshold F
                        share of not-Ready nodes (more than 2) at which tainting slows or stops (default 0.55)
  --large-cluster-size-threshold N
                        above this many nodes the secondary rate applies instead of none (default 50)
`;

/** For node:util parseArgs. */
export const nodeLifecycleFlagOptions = {
  'node-monitor-grace-period': { type: 'string', default: '50s' },
  'node-eviction-rate': { type: 'string', default: '0.1' },
  'secondary-node-eviction-rate': { type: 'string', default: '0.01' },
  'unhealthy-zone-threshold': { type: 'string', default: '0.55' },
  'large-cluster-size-threshold': { type: 'string', default: '50' },
} as const;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration as kube's flags take it (`50s`, `1m30s`, `500ms`, `1.5s`), in ms; throws on anything else. */
export function parseDurationMs(text: string, flag: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
    matched = re.lastIndex;
  }
  if (text === '' || matched !== text.length || !Number.isFinite(total)) throw new Error(`${flag} must be a duration such as 50s, 1m or 500ms`);
  return total;
}

function nonNegative(text: string, flag: string): number {
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || n < 0) throw new Error(`${flag} must be a number >= 0`);
  return n;
}

/** The options from parsed flag values; throws an Error whose message names the bad flag. */
export function nodeLifecycleOptionsFromFlags(values: Readonly<Record<string, unknown>>): NodeLifecycleOptions {
  const d = DEFAULT_NODE_LIFECYCLE_OPTIONS;
  const get = (k: keyof typeof nodeLifecycleFlagOptions): string => String(values[k] ?? nodeLifecycleFlagOptions[k].default);
  const gracePeriodMs = parseDurationMs(get('node-monitor-grace-period'), '--node-monitor-grace-period');
  if (gracePeriodMs <= 0) throw new Error('--node-monitor-grace-period must be positive');
  const threshold = nonNegative(get('unhealthy-zone-threshold'), '--unhealthy-zone-threshold');
  if (threshold > 1) throw new Error('--unhealthy-zone-threshold must be between 0 and 1');
  const large = nonNegative(get('large-cluster-size-threshold'), '--large-cluster-size-threshold');
  if (!Number.isInteger(large)) throw new Error('--large-cluster-size-threshold must be a whole number');
  return {
    ...d,
    gracePeriodMs,
    evictionRate: nonNegative(get('node-eviction-rate'), '--node-eviction-rate'),
    secondaryEvictionRate: nonNegative(get('secondary-node-eviction-rate'), '--secondary-node-eviction-rate'),
    unhealthyZoneThreshold: threshold,
    largeClusterSizeThreshold: large,
  };
}
