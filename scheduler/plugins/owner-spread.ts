import type { CycleState, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SKIP, SUCCESS, type Status } from '../framework/status.js';
import { MAX_NODE_SCORE } from '../framework/types.js';

export const OWNER_SPREAD = 'OwnerSpread';

/** Upstream's system default constraints: maxSkew 3 per host, 5 per zone, both ScheduleAnyway. */
const HOST_MAX_SKEW = 3;
const ZONE_MAX_SKEW = 5;

interface SpreadState {
  readonly key: string;
  readonly hostWeight: number;
  /** Pods of the key per zone, over every node; undefined when no feasible node has a zone. */
  readonly zoneCounts: ReadonlyMap<string, number> | undefined;
  readonly zoneWeight: number;
}

/**
 * Spreads pods of the same owner (a controller's pods, or bare pods with the same labels) across
 * nodes and zones: kube-scheduler's PodTopologySpread with its system default constraints
 * (hostname maxSkew 3, zone maxSkew 5, ScheduleAnyway), scoring only, with the owner standing in
 * for the Service/ReplicaSet selector upstream derives. A node's raw score grows with the
 * matching pods in its domain (count × log(domains + 2) + maxSkew − 1 per constraint);
 * normalisation turns the fewest into MAX_NODE_SCORE. Every node is its own hostname domain;
 * zones count only where nodes carry `topology.kubernetes.io/zone`.
 */
export class OwnerSpread implements PreScorePlugin, ScorePlugin {
  readonly name = OWNER_SPREAD;

  preScore(state: CycleState, pod: PodInfo, feasible: readonly NodeInfo[], allNodes: readonly NodeInfo[]): Status {
    if (pod.spreadKey === undefined) return SKIP;
    const key = pod.spreadKey;
    let zoneCounts: Map<string, number> | undefined;
    for (const n of feasible) {
      const zone = n.zone;
      if (zone === undefined) continue;
      zoneCounts ??= new Map();
      zoneCounts.set(zone, 0);
    }
    if (zoneCounts) {
      // Matching pods anywhere in a feasible node's zone count, not only on feasible nodes.
      for (const n of allNodes) {
        const zone = n.zone;
        const count = zone === undefined ? undefined : zoneCounts.get(zone);
        if (zone !== undefined && count !== undefined) zoneCounts.set(zone, count + (n.spreadCounts.get(key) ?? 0));
      }
    }
    state.write(this.name, {
      key,
      hostWeight: Math.log(feasible.length + 2),
      zoneCounts,
      zoneWeight: zoneCounts ? Math.log(zoneCounts.size + 2) : 0,
    } satisfies SpreadState);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<SpreadState>(this.name);
    if (!s) return 0;
    let score = (node.spreadCounts.get(s.key) ?? 0) * s.hostWeight + (HOST_MAX_SKEW - 1);
    const zone = node.zone;
    if (s.zoneCounts && zone !== undefined) score += (s.zoneCounts.get(zone) ?? 0) * s.zoneWeight + (ZONE_MAX_SKEW - 1);
    return Math.round(score);
  }

  /** podtopologyspread.NormalizeScore: MAX × (max + min − s) / max, so the least crowded node scores highest. */
  normalizeScore(_state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: number[]): void {
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < scores.length; i++) {
      scores[i] = max === 0 ? MAX_NODE_SCORE : Math.trunc((MAX_NODE_SCORE * (max + min - (scores[i] ?? 0))) / max);
    }
  }
}
