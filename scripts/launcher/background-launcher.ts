import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import type { ClusterLayout } from './layout.js';
import type { Console } from './report.js';
import { logTail, picokubeCommand } from './start-component.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** What the background launcher tells the `up --detach` that waits for it, over the IPC channel. */
type LauncherMessage = { readonly out: string } | { readonly err: string } | { readonly up: true };

function isLauncherMessage(m: unknown): m is LauncherMessage {
  if (typeof m !== 'object' || m === null) return false;
  const r = m as Record<string, unknown>;
  return typeof r.out === 'string' || typeof r.err === 'string' || r.up === true;
}

/** `argv` without --detach / -d: the background launcher runs the same `up` in the foreground. */
export function withoutDetach(argv: readonly string[]): string[] {
  return argv.filter((a) => a !== '--detach' && a !== '-d');
}

/**
 * `up --detach`: the launcher itself goes to the background, so that a detached cluster is
 * supervised like a foreground one (a process that dies is restarted, drills hold and release
 * components through it, `down` asks it to stop). This starts `up ARGV --background` in a
 * session of its own with its output in DIR/logs/launcher.log, relays what it prints while it
 * starts the cluster, and returns once it says the cluster is up (0), or with its exit code when
 * it gives up. A Ctrl-C here while it starts asks it to stop what it started.
 */
export async function startInBackground(argv: readonly string[], layout: ClusterLayout, io: Console): Promise<number> {
  mkdirSync(layout.logsDir, { recursive: true });
  const command = picokubeCommand(['up', ...withoutDetach(argv), '--background']);
  const logFile = layout.logFile('launcher');
  const fd = openSync(logFile, 'a');
  let saidWhy = false;
  let child: ChildProcess;
  try {
    child = spawn(command[0] as string, command.slice(1), { cwd: ROOT, detached: true, stdio: ['ignore', fd, fd, 'ipc'] });
  } finally {
    closeSync(fd);
  }
  const stopStarting = (): void => {
    io.out('picokube up: asking the background launcher to stop what it started\n');
    child.kill('SIGTERM');
  };
  process.on('SIGINT', stopStarting);
  process.on('SIGTERM', stopStarting);
  try {
    return await new Promise<number>((resolve) => {
      child.on('message', (m: unknown) => {
        if (!isLauncherMessage(m)) return;
        if ('out' in m) io.out(m.out);
        else if ('err' in m) {
          saidWhy = true;
          io.err(m.err);
        } else {
          // Up: the launcher stays behind on its own; this process may end.
          child.disconnect();
          child.unref();
          resolve(0);
        }
      });
      child.once('error', (e) => {
        io.err(`picokube up: could not start the background launcher: ${e.message}\n`);
        resolve(1);
      });
      child.once('exit', (code) => {
        // A launcher that died of a fault says so only in its log.
        if (code !== 0 && !saidWhy) io.err(`picokube up: the background launcher exited (code ${code}); the end of ${logFile}:\n${logTail(logFile)}\n`);
        resolve(code ?? 1);
      });
    });
  } finally {
    process.off('SIGINT', stopStarting);
    process.off('SIGTERM', stopStarting);
  }
}

/**
 * The background launcher's console: its log file (stdout), and while `up --detach` still waits
 * on the IPC channel, that terminal too.
 */
export const backgroundConsole: Console = {
  out: (text) => {
    process.stdout.write(text);
    if (process.connected) process.send?.({ out: text });
  },
  err: (text) => {
    process.stderr.write(text);
    if (process.connected) process.send?.({ err: text });
  },
};

/** Tells the waiting `up --detach` that the cluster is up, and lets it go. */
export function announceUp(): void {
  if (!process.connected) return;
  process.send?.({ up: true }, () => process.disconnect());
}
