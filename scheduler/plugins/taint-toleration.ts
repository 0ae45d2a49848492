import { toleratesTaint } from '../../kube/taints.js';
import type { CycleState, FilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { defaultNormalizeScore } from '../framework/normalize.js';
import type { NormalizedToleration, PodInfo } from '../framework/pod-info.js';
import { type Status, SUCCESS, unresolvable } from '../framework/status.js';
import type { Taint } from '../framework/types.js';

export const TAINT_TOLERATION = 'TaintToleration';

export function toleratesAny(tolerations: readonly NormalizedToleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The reason text kube-scheduler v1.32 counts for a node whose taint the pod does not tolerate. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/**
 * TaintToleration: Filter rejects a node with a NoSchedule or NoExecute taint the pod does not
 * tolerate (preemption cannot help); Score prefers nodes with fewer untolerated
 * PreferNoSchedule taints (counts, normalised in reverse).
 */
export class TaintToleration implements FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = TAINT_TOLERATION;

  filter(_state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    for (const taint of node.taints) {
      if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
      if (!toleratesAny(pod.tolerations, taint)) return unresolvable(this.name, untoleratedTaintReason(taint));
    }
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    state.write(
      this.name,
      pod.tolerations.filter((t) => t.effect === '' || t.effect === 'PreferNoSchedule'),
    );
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const tolerations = state.read<NormalizedToleration[]>(this.name) ?? [];
    let untolerated = 0;
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule' && !toleratesAny(tolerations, taint)) untolerated++;
    }
    return untolerated;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: number[]): void {
    defaultNormalizeScore(scores, true);
  }
}
