import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Every server process the benchmark starts, so that each one is ended by its PID on the way
 * out: at the end, on an error, and on SIGINT/SIGTERM. Nothing is ever killed by name.
 */
export class ProcessRegistry {
  private readonly live = new Map<number, ChildProcess>();

  constructor() {
    const onSignal = (signal: NodeJS.Signals): void => {
      this.killAllSync();
      process.stderr.write(`\nbench: ${signal}, every server process ended\n`);
      process.exit(130);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    process.once('exit', () => this.killAllSync());
  }

  /** Starts `command` with stdout and stderr appended to `logFile`. */
  spawn(command: string, args: readonly string[], logFile: string, cwd?: string): ChildProcess {
    const fd = openSync(logFile, 'a');
    const proc = spawn(command, args, { cwd, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const pid = proc.pid;
    if (pid === undefined) throw new Error(`bench: could not start ${command}`);
    this.live.set(pid, proc);
    proc.once('exit', () => this.live.delete(pid));
    return proc;
  }

  /** SIGKILL to one process; resolves once it has exited. */
  async kill(proc: ChildProcess): Promise<void> {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGKILL');
    await exited;
  }

  async killAll(): Promise<void> {
    await Promise.all([...this.live.values()].map((p) => this.kill(p)));
  }

  private killAllSync(): void {
    for (const pid of this.live.keys()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    this.live.clear();
  }
}

export function isRunning(proc: ChildProcess | undefined): proc is ChildProcess {
  return proc !== undefined && proc.exitCode === null && proc.signalCode === null;
}

/** Asks the OS for a free port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

let clockTicksPerSecond: number | undefined;

/** utime + stime of a process so far, in seconds (from /proc/PID/stat); 0 once it is gone. */
export function processCpuSeconds(pid: number): number {
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return 0;
  }
  // The command name (field 2) may hold spaces; the fields after its closing ')' start at 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return (utime + stime) / clockTicksPerSecond;
}

/** CPU time the whole machine has spent busy so far (all CPUs, from /proc/stat), in seconds. */
export function machineBusyCpuSeconds(): number {
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...: busy is everything but idle and iowait.
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) / clockTicksPerSecond;
}

/** Polls `check` until it returns something other than undefined/false, or throws after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
