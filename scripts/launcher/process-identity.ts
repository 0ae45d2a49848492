import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

/**
 * Tells whether a recorded PID is still the process we started. A PID file outlives its
 * processes (a reboot, a kill -9 of the launcher) and the kernel reuses PIDs, so a PID alone
 * must never be signalled: the process's command line has to match the one we recorded.
 */

const HAS_PROC = existsSync('/proc/self/cmdline');

/**
 * The command line of a live process, as its argv; undefined when there is no such process or
 * it has exited and awaits reaping (a zombie has an empty command line and counts as gone).
 * Without /proc (macOS) it asks `ps`, which gives the arguments joined by spaces, as one element.
 */
export function commandLineOf(pid: number): string[] | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (HAS_PROC) {
    let raw: string;
    try {
      raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      return undefined;
    }
    if (raw === '') return undefined;
    return raw.replace(/\0$/, '').split('\0');
  }
  try {
    const line = execFileSync('ps', ['-o', 'args=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return line === '' ? undefined : [line];
  } catch {
    return undefined;
  }
}

/** This process's own command line, to record it so that `down` can find the launcher later. */
export function ownCommandLine(): string[] {
  return commandLineOf(process.pid) ?? [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
}

/** True when `pid` runs and its command line is exactly `argv` (joined by spaces where only `ps` tells). */
export function isSameProcess(pid: number, argv: readonly string[]): boolean {
  const actual = commandLineOf(pid);
  if (!actual) return false;
  if (actual.length === 1 && argv.length > 1) return actual[0] === argv.join(' ');
  return actual.length === argv.length && actual.every((a, i) => a === argv[i]);
}
