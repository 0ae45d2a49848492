import { existsSync } from 'node:fs';
import { httpStatus } from './http-probe.js';
import { clusterLayout } from './layout.js';
import { DEFAULT_DIR, UsageError, parseDirOptions } from './options.js';
import { readPidFile } from './pid-file.js';
import { isSameProcess } from './process-identity.js';
import { type Console, alignColumns, dirFlag, processConsole } from './report.js';

const HELP = `picokube status: what runs of the local cluster

usage: picokube status [--dir DIR]

Lists every process DIR/pids.json records: whether it still runs and answers its readiness check.
Exit code 0 when all run, 1 when some do not, 3 when none does (or nothing is recorded).

  --dir DIR    the cluster's directory (default ${DEFAULT_DIR})
  -h, --help   this text
`;

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runStatus(argv);
}

/** `picokube status ARGV`; resolves with the exit code (see HELP). */
export async function runStatus(argv: string[], io: Console = processConsole): Promise<number> {
  try {
    const options = parseDirOptions(argv);
    if (options.help) {
      io.out(HELP);
      return 0;
    }
    const layout = clusterLayout(options.dir);
    const again = dirFlag(options.dir, options.dir === DEFAULT_DIR);
    const recorded = readPidFile(layout.pidsFile);
    if (!recorded) {
      const hasData = existsSync(layout.configFile);
      io.out(`picokube status: no cluster is running from ${layout.dir}${hasData ? `\n  its data is there: picokube up${again} starts it again` : ''}\n`);
      return 3;
    }
    const rows = await Promise.all(
      recorded.processes.map(async (p) => {
        const running = isSameProcess(p.pid, p.argv);
        const ready = running ? ((await httpStatus(p.readyUrl, 2000)) === 200 ? 'ready' : 'not ready') : '-';
        return { running, cells: [p.name, String(p.pid), running ? 'running' : 'stopped', ready, p.endpoint, p.logFile] };
      }),
    );
    const launcher = recorded.launcher;
    const supervisor = launcher ? (isSameProcess(launcher.pid, launcher.argv) ? `in the foreground, launcher pid ${launcher.pid}` : `launcher pid ${launcher.pid} is gone`) : 'detached';
    io.out(`picokube cluster in ${layout.dir} (started ${recorded.startedAt}, ${supervisor})\n`);
    io.out(`${alignColumns([['NAME', 'PID', 'STATE', 'READY', 'ENDPOINT', 'LOG'], ...rows.map((r) => r.cells)]).join('\n')}\n`);
    io.out(`kubeconfig: ${layout.kubeconfigFile}\n`);
    const runningCount = rows.filter((r) => r.running).length;
    if (runningCount === rows.length) return 0;
    io.out(runningCount === 0 ? `nothing runs; picokube down${again} clears the record\n` : `some processes are gone; picokube down${again} then up${again} restarts the cluster\n`);
    return runningCount === 0 ? 3 : 1;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`picokube status: ${e.message}\n`);
    return 2;
  }
}
