import type { IntOrString } from './workload-types.js';

/**
 * apimachinery's `GetScaledValueFromIntOrPercent`: an integer as is, `'25%'` as that share of
 * `total`, rounded up or down. A malformed value (validation rejects it) reads as `undefined`.
 */
export function scaledValueFromIntOrPercent(v: IntOrString | null | undefined, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^(-?\d+)%$/.exec(v);
  // A string must be a percentage ("invalid type: string is not a percentage").
  if (!m) return undefined;
  const share = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(share) : Math.floor(share);
}
