import { existsSync } from 'node:fs';
import { clusterLayout } from './layout.js';
import { DEFAULT_DIR, UsageError, parseDirOptions } from './options.js';
import { readPidFile, removePidFile } from './pid-file.js';
import { isSameProcess } from './process-identity.js';
import { type Console, alignColumns, processConsole, seconds } from './report.js';
import { STOP_GRACE_MS, type StopOutcome, type StopTarget, stopProcesses } from './stop-processes.js';

const HELP = `picokube down: stop the local cluster that 'picokube up' started

usage: picokube down [--dir DIR]

Stops every process DIR/pids.json records, the apiserver before the store: SIGTERM, then SIGKILL
after ${seconds(STOP_GRACE_MS)}. The launcher (the 'up' in the foreground, or in the background
after --detach) is asked to stop its cluster itself. A PID whose process is no longer the one
recorded (its command line differs) is left alone. Data stays in DIR.

  --dir DIR    the cluster's directory (default ${DEFAULT_DIR})
  -h, --help   this text
`;

/** How long the launcher gets to stop its cluster before `down` does it itself. */
const LAUNCHER_STOP_MS = 3 * STOP_GRACE_MS + 15_000;

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runDown(argv);
}

async function waitGone(pid: number, argv: readonly string[], timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isSameProcess(pid, argv)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return true;
}

/** `picokube down ARGV`; resolves with the exit code: 0 when nothing recorded runs any more. */
export async function runDown(argv: string[], io: Console = processConsole): Promise<number> {
  try {
    const options = parseDirOptions(argv);
    if (options.help) {
      io.out(HELP);
      return 0;
    }
    const layout = clusterLayout(options.dir);
    const recorded = readPidFile(layout.pidsFile);
    if (!recorded) {
      io.out(`picokube down: nothing recorded as running in ${layout.dir}${existsSync(layout.dir) ? '' : ' (no such directory)'}\n`);
      return 0;
    }
    io.out(`picokube down: stopping the cluster in ${layout.dir}\n`);
    const lines: string[][] = [];
    const note = (t: StopTarget, outcome: StopOutcome | string): void => {
      lines.push([t.name, `pid ${t.pid}`, outcome]);
    };
    const launcher = recorded.launcher;
    const askedLauncher = launcher !== undefined && isSameProcess(launcher.pid, launcher.argv);
    if (launcher && askedLauncher) {
      io.out(`  asking the launcher (pid ${launcher.pid}) to stop it\n`);
      process.kill(launcher.pid, 'SIGTERM');
      if (!(await waitGone(launcher.pid, launcher.argv, LAUNCHER_STOP_MS))) {
        process.kill(launcher.pid, 'SIGKILL');
        await waitGone(launcher.pid, launcher.argv, 5000);
      }
    }
    // The launcher may have restarted components since, so the file is read again.
    const now = readPidFile(layout.pidsFile) ?? recorded;
    const left = now.processes.filter((p) => isSameProcess(p.pid, p.argv));
    for (const p of now.processes) if (!left.includes(p)) note(p, askedLauncher ? 'stopped' : 'not running');
    const outcomes = await stopProcesses(left, STOP_GRACE_MS, note);
    io.out(`${alignColumns(lines).join('\n')}\n`);
    const undead = [...outcomes.entries()].filter(([, o]) => o === 'survived SIGKILL').map(([n]) => n);
    if (undead.length > 0) {
      io.err(`picokube down: still running after SIGKILL: ${undead.join(', ')}; ${layout.pidsFile} is kept\n`);
      return 1;
    }
    removePidFile(layout.pidsFile);
    io.out(`picokube down: stopped. Data stays in ${layout.dir}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`picokube down: ${e.message}\n`);
    return 2;
  }
}
