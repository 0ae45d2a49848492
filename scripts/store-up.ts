import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

/**
 * `npm start` for now: starts the replicated store on this machine, three replica processes
 * with their data and logs under .picokube/, and keeps them running until Ctrl-C (or SIGTERM),
 * restarting a replica that dies. Data persists across restarts. The full launcher
 * (`picokube up`, with the apiserver and the rest) will take its place.
 */
const HELP = `usage: npm start [-- --dir DIR] [--base-port 2379]

starts 3 store replicas on 127.0.0.1: client ports BASE, BASE+10, BASE+20; peer ports one above each
`;

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string', default: '.picokube' },
      'base-port': { type: 'string', default: '2379' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const dir = resolve(values.dir);
  mkdirSync(dir, { recursive: true });
  const secretFile = join(dir, 'store-secret');
  if (!existsSync(secretFile)) writeFileSync(secretFile, `${randomBytes(24).toString('base64')}\n`, { mode: 0o600 });
  const base = Number(values['base-port']);
  const ids = [1, 2, 3];
  const clientPort = (id: number) => base + (id - 1) * 10;
  const peers = ids.map((id) => `${id}=127.0.0.1:${clientPort(id) + 1}`).join(',');
  const clients = ids.map((id) => `${id}=127.0.0.1:${clientPort(id)}`).join(',');
  const entry = new URL('./picokube.ts', import.meta.url).pathname;
  const procs = new Map<number, ChildProcess>();
  let stopping = false;

  const start = (id: number, attempt: number): void => {
    const log = openSync(join(dir, `store-${id}.log`), 'a');
    const args = ['--import', 'tsx', entry, 'store', '--id', String(id), '--peers', peers, '--client-addresses', clients, '--client-port', String(clientPort(id)), '--data-dir', join(dir, `store-${id}`), '--secret-file', secretFile];
    const p = spawn(process.execPath, args, { stdio: ['ignore', log, log] });
    procs.set(id, p);
    const startedAt = Date.now();
    p.on('exit', (code, signal) => {
      if (stopping) return;
      const quick = Date.now() - startedAt < 5000;
      const delay = quick ? Math.min(30_000, 500 * 2 ** attempt) : 500;
      process.stdout.write(`store ${id} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms (log: ${join(dir, `store-${id}.log`)})\n`);
      setTimeout(() => start(id, quick ? attempt + 1 : 0), delay);
    });
  };
  for (const id of ids) start(id, 0);
  process.stdout.write(
    `picokube store: 3 replicas starting, data and logs in ${dir}\n` +
      `  export PICOKUBE_STORE_ENDPOINTS=${ids.map((id) => `127.0.0.1:${clientPort(id)}`).join(',')}\n` +
      '  npm run -s picokube -- storectl endpoint status\n' +
      'Ctrl-C stops them.\n',
  );
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write('stopping the store replicas...\n');
    let left = procs.size;
    for (const p of procs.values()) {
      if (p.exitCode !== null || p.signalCode !== null) {
        left--;
        continue;
      }
      p.once('exit', () => {
        if (--left === 0) process.exit(0);
      });
      p.kill('SIGTERM');
    }
    if (left === 0) process.exit(0);
    setTimeout(() => {
      for (const p of procs.values()) p.kill('SIGKILL');
      process.exit(0);
    }, 5000).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main(process.argv.slice(2));
