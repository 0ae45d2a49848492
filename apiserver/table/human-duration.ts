/**
 * Ages as kube-apiserver prints them in Tables: apimachinery's `duration.HumanDuration`, two or
 * three significant figures (`59s`, `5m30s`, `12m`, `5h3m`, `20h`, `3d4h`, `45d`, `2y10d`, `9y`),
 * and `<unknown>` for a missing timestamp (the printers' `translateTimestampSince`).
 */

const SECOND_MS = 1000;
const MINUTE_S = 60;
const HOUR_S = 60 * MINUTE_S;
const DAY_H = 24;
const YEAR_D = 365;

/** Go's integer conversion truncates toward zero; so does this. */
function trunc(n: number): number {
  return Math.trunc(n);
}

/**
 * The human form of a duration. A clock up to two seconds behind counts as now (`0s`); further
 * behind is `<invalid>`, as upstream tolerates that much skew between machines.
 */
export function humanDuration(durationMs: number): string {
  const seconds = trunc(durationMs / SECOND_MS);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * MINUTE_S) return `${seconds}s`;

  const minutes = trunc(seconds / MINUTE_S);
  if (minutes < 10) {
    const s = seconds % MINUTE_S;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 3 * 60) return `${minutes}m`;

  const hours = trunc(seconds / HOUR_S);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = trunc(hours / DAY_H);
  if (hours < 8 * DAY_H) {
    const h = hours % DAY_H;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 2 * YEAR_D * DAY_H) return `${days}d`;
  const years = trunc(days / YEAR_D);
  if (hours < 8 * YEAR_D * DAY_H) {
    const d = days % YEAR_D;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** Milliseconds since the epoch of an RFC 3339 timestamp; undefined when absent or unparsable. */
export function parseTimestampMs(timestamp: unknown): number | undefined {
  if (typeof timestamp !== 'string' || timestamp === '') return undefined;
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? undefined : ms;
}

/** How long ago `timestamp` was, as a Table cell: `<unknown>` when there is no timestamp. */
export function timestampAge(timestamp: unknown, nowMs: number): string {
  const ms = parseTimestampMs(timestamp);
  return ms === undefined ? '<unknown>' : humanDuration(nowMs - ms);
}
