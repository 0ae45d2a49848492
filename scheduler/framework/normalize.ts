import { MAX_NODE_SCORE } from './types.js';

/**
 * kube-scheduler's helper.DefaultNormalizeScore: scale scores so the highest becomes
 * MAX_NODE_SCORE (integer division); with `reverse`, the lowest raw score ranks highest. All
 * zeros stay zeros (or all become MAX_NODE_SCORE when reversed).
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const scaled = Math.trunc((MAX_NODE_SCORE * (scores[i] ?? 0)) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - scaled : scaled;
  }
}
