import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isPlainObject } from '../../kube/object.js';
import { UsageError } from './options.js';

/** One process `up` started. `argv` is its full command line, so that its identity can be checked. */
export interface PidRecord {
  readonly name: string;
  readonly pid: number;
  readonly argv: readonly string[];
  readonly phase: number;
  readonly readyUrl: string;
  readonly endpoint: string;
  readonly logFile: string;
}

/**
 * DIR/pids.json: what `up` started in DIR. Present while a cluster from DIR runs (or until
 * `down` after a crash); `launcher` is the `up` that supervises the processes (in the
 * foreground, or in the background after `up --detach`).
 */
export interface PidFile {
  readonly version: 1;
  readonly dir: string;
  readonly startedAt: string;
  readonly launcher?: { readonly pid: number; readonly argv: readonly string[] };
  /** Set once the launcher has reloaded its process table (SIGUSR2): how many times, when last, and how it went ("ok" or what failed). */
  readonly reloads?: { readonly count: number; readonly at: string; readonly outcome: string };
  readonly processes: readonly PidRecord[];
}

function isPidRecord(v: unknown): v is PidRecord {
  return (
    isPlainObject(v) &&
    typeof v.name === 'string' &&
    Number.isSafeInteger(v.pid) &&
    Array.isArray(v.argv) &&
    v.argv.every((a) => typeof a === 'string') &&
    Number.isInteger(v.phase) &&
    typeof v.readyUrl === 'string' &&
    typeof v.endpoint === 'string' &&
    typeof v.logFile === 'string'
  );
}

/** Reads DIR/pids.json; undefined when absent. A damaged file is a UsageError naming it. */
export function readPidFile(file: string): PidFile | undefined {
  if (!existsSync(file)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`${file} is not valid JSON (${(e as Error).message}); check for leftover processes by hand, then remove it`);
  }
  const reloadsOk = (r: unknown): boolean =>
    r === undefined || (isPlainObject(r) && Number.isSafeInteger(r.count) && typeof r.at === 'string' && typeof r.outcome === 'string');
  const launcherOk = (l: unknown): boolean =>
    l === undefined || (isPlainObject(l) && Number.isSafeInteger(l.pid) && Array.isArray(l.argv) && l.argv.every((a) => typeof a === 'string'));
  if (
    !isPlainObject(raw) ||
    raw.version !== 1 ||
    typeof raw.dir !== 'string' ||
    typeof raw.startedAt !== 'string' ||
    !launcherOk(raw.launcher) ||
    !reloadsOk(raw.reloads) ||
    !Array.isArray(raw.processes) ||
    !raw.processes.every(isPidRecord)
  ) {
    throw new UsageError(`${file} is not a picokube PID file (version 1); check for leftover processes by hand, then remove it`);
  }
  return raw as unknown as PidFile;
}

/** Replaces the file in one rename, so a reader never sees half of it. */
export function writePidFile(file: string, content: PidFile): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(content, null, 2)}\n`);
  renameSync(tmp, file);
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
}
