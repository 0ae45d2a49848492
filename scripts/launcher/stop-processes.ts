import { phases } from './components.js';
import { isSameProcess } from './process-identity.js';

/** A process to stop, identified by PID and the command line it must still have. */
export interface StopTarget {
  readonly name: string;
  readonly pid: number;
  readonly argv: readonly string[];
  readonly phase: number;
}

/** How long a process gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 10_000;

export type StopOutcome = 'stopped' | 'killed' | 'not running' | 'survived SIGKILL';

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* gone in between */
  }
}

async function waitGone(targets: readonly StopTarget[], timeoutMs: number, everyMs = 50): Promise<StopTarget[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = targets.filter((t) => isSameProcess(t.pid, t.argv));
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Stops processes phase by phase, the last phase first (the apiserver before the store it uses):
 * SIGTERM, then SIGKILL to any still there after `graceMs`. Only a process whose command line
 * still matches is signalled, so a recycled PID is left alone ("not running").
 */
export async function stopProcesses(
  targets: readonly StopTarget[],
  graceMs: number,
  report: (t: StopTarget, outcome: StopOutcome) => void = () => {},
): Promise<Map<string, StopOutcome>> {
  const outcomes = new Map<string, StopOutcome>();
  const note = (t: StopTarget, o: StopOutcome): void => {
    outcomes.set(t.name, o);
    report(t, o);
  };
  for (const group of phases(targets).reverse()) {
    const live = group.filter((t) => {
      if (isSameProcess(t.pid, t.argv)) return true;
      note(t, 'not running');
      return false;
    });
    for (const t of live) signal(t.pid, 'SIGTERM');
    const stubborn = await waitGone(live, graceMs);
    for (const t of live) if (!stubborn.includes(t)) note(t, 'stopped');
    for (const t of stubborn) signal(t.pid, 'SIGKILL');
    const undead = await waitGone(stubborn, 5000);
    for (const t of stubborn) note(t, undead.includes(t) ? 'survived SIGKILL' : 'killed');
  }
  return outcomes;
}
