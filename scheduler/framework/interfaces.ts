import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Status } from './status.js';

/**
 * The extension points of one scheduling cycle (kube-scheduler's framework/interface.go), in the
 * order they run: PreFilter once per pod, Filter per node until enough feasible nodes are found,
 * PreScore once over the feasible nodes, Score per feasible node, NormalizeScore once per plugin.
 * Plugins are pure: no I/O, no timers, no clock, no randomness; everything they need is in the
 * PodInfo, the NodeInfos and the CycleState. A plugin implements any subset of these.
 */
export interface Plugin {
  /** Upstream's plugin name (`NodeResourcesFit`), used in registries, diagnosis and logs. */
  readonly name: string;
}

/**
 * Per-cycle scratch space plugins share between their own extension points (PreFilter →
 * Filter, PreScore → Score), keyed by plugin. Lives for one scheduling cycle of one pod.
 */
export class CycleState {
  private readonly data = new Map<string, unknown>();

  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }

  /** What `write` stored under `key`; the caller knows its type (one plugin owns each key). */
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
}

export interface PreFilterPlugin extends Plugin {
  /**
   * Check the pod once per cycle and compute what Filter needs. A rejection here rejects every
   * node with the same status; `Skip` means this plugin's Filter does not run for this pod.
   */
  preFilter(state: CycleState, pod: PodInfo): Status;
}

export interface FilterPlugin extends Plugin {
  /** Whether the pod may run on the node. Called many times per cycle: must be cheap. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
}

export interface PreScorePlugin extends Plugin {
  /**
   * Compute what Score needs over the feasible nodes (`allNodes` is every node, for counts that
   * span the cluster). `Skip` means this plugin's Score does not run for this pod.
   */
  preScore(state: CycleState, pod: PodInfo, feasible: readonly NodeInfo[], allNodes: readonly NodeInfo[]): Status;
}

export interface ScorePlugin extends Plugin {
  /** The node's raw score, an integer; after normalisation it must lie in 0..MAX_NODE_SCORE. */
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescale `scores` (parallel to `nodes`) in place into 0..MAX_NODE_SCORE. */
  normalizeScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void;
}

export function isPreFilterPlugin(p: Plugin): p is PreFilterPlugin {
  return typeof (p as Partial<PreFilterPlugin>).preFilter === 'function';
}

export function isFilterPlugin(p: Plugin): p is FilterPlugin {
  return typeof (p as Partial<FilterPlugin>).filter === 'function';
}

export function isPreScorePlugin(p: Plugin): p is PreScorePlugin {
  return typeof (p as Partial<PreScorePlugin>).preScore === 'function';
}

export function isScorePlugin(p: Plugin): p is ScorePlugin {
  return typeof (p as Partial<ScorePlugin>).score === 'function';
}
