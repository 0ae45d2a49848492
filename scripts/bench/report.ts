/** One line of the comparison: a workload and a figure for each system. */
export interface Row {
  readonly workload: string;
  readonly picokube: number;
  readonly etcd: number;
  /** How to print the figures: 0 decimals for rates, 1 for milliseconds and percents. */
  readonly decimals: number;
  readonly unit: string;
}

function fmt(v: number, decimals: number): string {
  if (!Number.isFinite(v)) return '-';
  return v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

function ratio(r: Row): string {
  if (!Number.isFinite(r.picokube) || !Number.isFinite(r.etcd) || r.etcd === 0) return '-';
  return `${r.picokube / r.etcd >= 10 ? (r.picokube / r.etcd).toFixed(1) : (r.picokube / r.etcd).toFixed(2)}x`;
}

function cells(r: Row): string[] {
  const u = r.unit ? ` ${r.unit}` : '';
  return [r.workload, `${fmt(r.picokube, r.decimals)}${u}`, `${fmt(r.etcd, r.decimals)}${u}`, ratio(r)];
}

const HEAD = ['workload', 'picokube', 'etcd', 'ratio (picokube/etcd)'];

/** A fixed-width table for the terminal. */
export function textTable(rows: readonly Row[]): string {
  const all = [HEAD, ...rows.map(cells)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((c) => (c[i] ?? '').length)));
  const line = (c: string[]): string => c.map((s, i) => (i === 0 ? s.padEnd(widths[i] ?? 0) : s.padStart(widths[i] ?? 0))).join('  ');
  return [line(HEAD), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => line(cells(r)))].join('\n');
}

/** The same table as GitHub markdown, for the README. */
export function markdownTable(rows: readonly Row[]): string {
  const line = (c: string[]): string => `| ${c.join(' | ')} |`;
  return [line(HEAD), '| --- | ---: | ---: | ---: |', ...rows.map((r) => line(cells(r)))].join('\n');
}
