import { fitErrorMessage, NO_NODES_AVAILABLE, type NodeFailure, preemptionMessage } from './fit-error.js';
import { CycleState, type FilterPlugin } from './framework/interfaces.js';
import type { NodeInfo } from './framework/node-info.js';
import type { PodInfo } from './framework/pod-info.js';
import type { Profile } from './framework/profile.js';
import { isRejected, SUCCESS, type Status, statusMessage } from './framework/status.js';

/** The outcome of one scheduling cycle for one pod. */
export type ScheduleResult =
  | {
      readonly kind: 'scheduled';
      readonly node: NodeInfo;
      /** Nodes the filters ran on, and how many of them fit. */
      readonly evaluatedNodes: number;
      readonly feasibleNodes: number;
    }
  /** Fits no node: `message` is kube-scheduler's FitError text (for the condition and the Event). */
  | { readonly kind: 'unschedulable'; readonly message: string }
  /** A plugin failed (bad input): retried with backoff. */
  | { readonly kind: 'error'; readonly message: string };

/** Below this many nodes every node is examined (minFeasibleNodesToFind). */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
/** The adaptive percentage never goes below this (minFeasibleNodesPercentageToFind). */
export const MIN_FEASIBLE_NODES_PERCENTAGE = 5;

/**
 * How many feasible nodes a cycle looks for before it stops filtering (numFeasibleNodesToFind):
 * all nodes below 100; else `percentage` of them (0 means adaptive: 50 − nodes/125, at least
 * 5), never fewer than 100. Fewer nodes scored is what makes scheduling O(nodes) with a small
 * constant on big clusters.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_NODES_PERCENTAGE, 50 - Math.trunc(numAllNodes / 125));
  const n = Math.trunc((numAllNodes * Math.min(100, pct)) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}

/**
 * One scheduling cycle (kube-scheduler's schedule_one.go schedulePod): PreFilter, Filter over the
 * nodes starting where the previous cycle stopped until enough feasible nodes are found,
 * PreScore, Score and NormalizeScore per plugin, weighted sum, highest total wins. Synchronous
 * and deterministic: equal totals go to the first tied node after the node chosen last (in
 * node-list order, wrapping), so equal pods on equal nodes go round-robin. Holds the two
 * cursors between cycles and reuses its buffers, so a cycle allocates little beyond what the
 * plugins need. The caller must not change `nodes` during a call.
 */
export class ScheduleAlgorithm {
  private nextStartNodeIndex = 0;
  private lastChosenIndex = -1;
  private readonly feasible: NodeInfo[] = [];
  private readonly feasibleIndex: number[] = [];
  private readonly failures: NodeFailure[] = [];
  private readonly scores: number[] = [];
  private readonly totals: number[] = [];

  constructor(
    readonly profile: Profile,
    private readonly percentageOfNodesToScore = 0,
  ) {}

  schedule(pod: PodInfo, nodes: readonly NodeInfo[]): ScheduleResult {
    const numAll = nodes.length;
    if (numAll === 0) return { kind: 'unschedulable', message: NO_NODES_AVAILABLE };
    const state = new CycleState();

    let filters = this.profile.filter;
    for (const pl of this.profile.preFilter) {
      const s = pl.preFilter(state, pod);
      if (s.code === 'Skip') {
        filters = filters.filter((f) => f.name !== pl.name);
      } else if (s.code === 'Error') {
        return { kind: 'error', message: `running PreFilter plugin ${pl.name}: ${statusMessage(s)}` };
      } else if (isRejected(s)) {
        const failures = nodes.map((node) => ({ node, status: s }));
        const post = preemptionMessage(pod, numAll, failures, (n) => runFilters(filters, state, pod, n));
        return { kind: 'unschedulable', message: fitErrorMessage(numAll, failures, statusMessage(s), post) };
      }
    }

    const feasible = this.feasible;
    const feasibleIndex = this.feasibleIndex;
    const failures = this.failures;
    feasible.length = 0;
    feasibleIndex.length = 0;
    failures.length = 0;
    const want = numFeasibleNodesToFind(numAll, this.percentageOfNodesToScore);
    const start = this.nextStartNodeIndex % numAll;
    let processed = 0;
    for (let i = 0; i < numAll && feasible.length < want; i++) {
      const index = (start + i) % numAll;
      const node = nodes[index] as NodeInfo;
      processed++;
      const s = runFilters(filters, state, pod, node);
      if (s.code === 'Success') {
        feasible.push(node);
        feasibleIndex.push(index);
      } else if (s.code === 'Error') {
        return { kind: 'error', message: `running Filter plugin ${s.plugin} on node ${node.name}: ${statusMessage(s)}` };
      } else {
        failures.push({ node, status: s });
      }
    }
    this.nextStartNodeIndex = (start + processed) % numAll;

    if (feasible.length === 0) {
      const post = preemptionMessage(pod, numAll, failures, (n) => runFilters(filters, state, pod, n));
      const message = fitErrorMessage(numAll, failures, undefined, post);
      failures.length = 0;
      return { kind: 'unschedulable', message };
    }
    failures.length = 0;
    const chosen = feasible.length === 1 ? 0 : this.prioritize(state, pod, nodes);
    if (chosen < 0) return { kind: 'error', message: 'a PreScore plugin failed' };
    const node = feasible[chosen] as NodeInfo;
    this.lastChosenIndex = feasibleIndex[chosen] ?? -1;
    const result: ScheduleResult = { kind: 'scheduled', node, evaluatedNodes: processed, feasibleNodes: feasible.length };
    feasible.length = 0;
    return result;
  }

  /** Score the feasible nodes and return the index (into `feasible`) of the winner; -1 on a plugin error. */
  private prioritize(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): number {
    const feasible = this.feasible;
    const n = feasible.length;
    const totals = this.totals;
    totals.length = n;
    totals.fill(0);
    let skipped: Set<string> | undefined;
    for (const pl of this.profile.preScore) {
      const s = pl.preScore(state, pod, feasible, nodes);
      if (s.code === 'Skip') {
        skipped ??= new Set();
        skipped.add(pl.name);
      } else if (s.code === 'Error') {
        return -1;
      }
    }
    const scores = this.scores;
    for (const { plugin, weight } of this.profile.score) {
      if (skipped?.has(plugin.name)) continue;
      scores.length = n;
      for (let i = 0; i < n; i++) scores[i] = plugin.score(state, pod, feasible[i] as NodeInfo);
      plugin.normalizeScore?.(state, pod, feasible, scores);
      for (let i = 0; i < n; i++) totals[i] = (totals[i] ?? 0) + (scores[i] ?? 0) * weight;
    }
    const numAll = nodes.length;
    let best = 0;
    let bestTotal = Number.NEGATIVE_INFINITY;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      const total = totals[i] ?? 0;
      const distance = ((((this.feasibleIndex[i] ?? 0) - this.lastChosenIndex - 1) % numAll) + numAll) % numAll;
      if (total > bestTotal || (total === bestTotal && distance < bestDistance)) {
        best = i;
        bestTotal = total;
        bestDistance = distance;
      }
    }
    return best;
  }
}

/** Run the filters on one node in order; the first that does not answer Success decides. */
export function runFilters(filters: readonly FilterPlugin[], state: CycleState, pod: PodInfo, node: NodeInfo): Status {
  for (const f of filters) {
    const s = f.filter(state, pod, node);
    if (s.code !== 'Success') return s.plugin ? s : { ...s, plugin: f.name };
  }
  return SUCCESS;
}
