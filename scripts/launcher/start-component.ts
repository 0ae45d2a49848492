import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import type { ComponentSpec } from './components.js';
import { httpStatus } from './http-probe.js';
import type { PidRecord } from './pid-file.js';
import { isSameProcess } from './process-identity.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const ENTRY = new URL('../picokube.ts', import.meta.url).pathname;

/** The full command line that runs `picokube <args>`: this Node, with tsx, as test/helpers/store-cluster.ts does. */
export function picokubeCommand(args: readonly string[]): string[] {
  return [process.execPath, '--import', 'tsx', ENTRY, ...args];
}

/** A component this launcher started: its spec, what pids.json records of it, and its process handle. */
export interface StartedComponent {
  readonly spec: ComponentSpec;
  readonly record: PidRecord;
  readonly child: ChildProcess;
}

/**
 * Starts one component with its output appended to `logFile`. It runs in its own process group,
 * so a Ctrl-C in the terminal reaches the launcher only, which then stops the cluster in order.
 */
export function startComponent(spec: ComponentSpec, logFile: string): StartedComponent {
  const argv = picokubeCommand(spec.args);
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(argv[0] as string, argv.slice(1), { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${argv.join(' ')})`);
  child.once('error', () => {
    /* reported through its exit; an unhandled 'error' would end the launcher */
  });
  const record: PidRecord = { name: spec.name, pid: child.pid, argv, phase: spec.phase, readyUrl: spec.readyUrl, endpoint: spec.endpoint, logFile };
  return { spec, record, child };
}

/**
 * Starts again, detached, a recorded process that has died while no launcher supervises (its
 * launcher was killed; a fault drill does this then): the same command line, its output appended
 * to the same log. Returns the new record.
 */
export function restartRecorded(record: PidRecord): PidRecord {
  const fd = openSync(record.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(record.argv[0] as string, record.argv.slice(1), { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd);
  }
  if (child.pid === undefined) throw new Error(`could not start ${record.name} again (${record.argv.join(' ')})`);
  child.unref();
  child.once('error', () => {
    /* seen through its readiness check */
  });
  return { ...record, pid: child.pid };
}

/** The last lines of a log file, to show why a component did not come up. */
export function logTail(logFile: string, lines = 8): string {
  try {
    return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** A component that exited or stayed unready past its deadline. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly component: string,
    readonly logFile: string,
  ) {
    super(message);
    this.name = 'StartError';
  }
}

/**
 * Polls the component's readiness URL until it answers 200. Fails at once when the process
 * exits, and after `timeoutMs` otherwise, with the end of its log in the message.
 */
export async function waitReady(record: PidRecord, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (!isSameProcess(record.pid, record.argv)) {
      throw new StartError(`${record.name} exited before it was ready; the end of ${record.logFile}:\n${logTail(record.logFile)}`, record.name, record.logFile);
    }
    const status = await httpStatus(record.readyUrl, Math.min(2000, everyMs * 10));
    if (status === 200) return;
    last = status === undefined ? 'no answer' : `HTTP ${status}`;
    if (Date.now() > deadline) {
      throw new StartError(
        `${record.name} was not ready after ${Math.round(timeoutMs / 1000)} s (${record.readyUrl}: ${last}); the end of ${record.logFile}:\n${logTail(record.logFile)}`,
        record.name,
        record.logFile,
      );
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
