import type { DrillPlan } from './drill-plan.js';
import type { Verdict } from './verdicts.js';

/** One thing the drill did, at `atMs` after it began. */
export interface TimelineEntry {
  readonly atMs: number;
  readonly what: string;
}

/** Client operations of one workload, and its longest stretch without a successful write. */
export interface WorkloadFigures {
  readonly ok: number;
  readonly failed: number;
  readonly writeUnavailableMs: number;
}

/** Everything one drill run found; `--json` prints it as is. */
export interface DrillReport {
  readonly name: string;
  readonly seed: number;
  readonly plan: DrillPlan;
  readonly timeline: readonly TimelineEntry[];
  readonly store: WorkloadFigures;
  readonly api: WorkloadFigures;
  readonly verdicts: readonly Verdict[];
  /** From the heal to every Deployment and ReplicaSet at its desired count; undefined if never. */
  readonly convergeMs: number | undefined;
  readonly durationMs: number;
  readonly pass: boolean;
  /** Set when the drill could not run to its end (the verdicts then hold a FAIL for it). */
  readonly error?: string;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The report as a person reads it: what was done when, the figures, the verdicts. */
export function renderReport(r: DrillReport): string {
  const lines = [`drill ${r.name} (seed ${r.seed}): ${r.pass ? 'PASS' : 'FAIL'} in ${s(r.durationMs)}`, '  timeline:'];
  for (const e of r.timeline) lines.push(`    ${s(e.atMs).padStart(9)}  ${e.what}`);
  lines.push(
    `  store clients:     ${r.store.ok} ok, ${r.store.failed} failed; writes unavailable for at most ${s(r.store.writeUnavailableMs)}`,
    `  apiserver clients: ${r.api.ok} ok, ${r.api.failed} failed; writes unavailable for at most ${s(r.api.writeUnavailableMs)}`,
    `  converged ${r.convergeMs === undefined ? 'never' : `${s(r.convergeMs)} after the heal`}`,
    '  verdicts:',
  );
  for (const v of r.verdicts) lines.push(`    ${v.pass ? 'PASS' : 'FAIL'}  ${v.name}: ${v.detail}`);
  if (r.error) lines.push(`  error: ${r.error}`);
  return `${lines.join('\n')}\n`;
}

/** Totals over many drill runs, the figures the README quotes. */
export interface DrillTotals {
  readonly drills: number;
  readonly failedDrills: number;
  readonly operations: number;
  readonly failedOperations: number;
  readonly acknowledgedWritesLost: number;
  readonly linearizabilityViolations: number;
  readonly longestUnavailableMs: number;
  readonly longestConvergeMs: number;
}

export function totals(reports: readonly DrillReport[]): DrillTotals {
  const lostIn = (v: Verdict): number => (v.name.includes('acknowledged') && !v.pass ? Number(/^(\d+) of/.exec(v.detail)?.[1] ?? 1) : 0);
  return {
    drills: reports.length,
    failedDrills: reports.filter((r) => !r.pass).length,
    operations: reports.reduce((n, r) => n + r.store.ok + r.store.failed + r.api.ok + r.api.failed, 0),
    failedOperations: reports.reduce((n, r) => n + r.store.failed + r.api.failed, 0),
    acknowledgedWritesLost: reports.reduce((n, r) => n + r.verdicts.reduce((m, v) => m + lostIn(v), 0), 0),
    linearizabilityViolations: reports.reduce((n, r) => n + r.verdicts.filter((v) => v.name.includes('linearizable') && !v.pass).length, 0),
    longestUnavailableMs: Math.max(0, ...reports.map((r) => Math.max(r.store.writeUnavailableMs, r.api.writeUnavailableMs))),
    longestConvergeMs: Math.max(0, ...reports.map((r) => r.convergeMs ?? 0)),
  };
}

/** The totals as a Markdown table, to paste into the README. */
export function renderTotals(t: DrillTotals, command: string): string {
  return [
    `Fault drills (\`${command}\`):`,
    '',
    '| drills run | failed | client operations | failed operations | acknowledged writes lost | linearizability violations | longest write unavailability | longest time to converge |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    `| ${t.drills} | ${t.failedDrills} | ${t.operations} | ${t.failedOperations} | ${t.acknowledgedWritesLost} | ${t.linearizabilityViolations} | ${s(t.longestUnavailableMs)} | ${s(t.longestConvergeMs)} |`,
    '',
  ].join('\n');
}
