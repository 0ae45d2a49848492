import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { DrillReport } from '../../scripts/drill/drill-report.js';
import { type PidFile, readPidFile } from '../../scripts/launcher/pid-file.js';
import { portTaken } from '../../scripts/launcher/ports.js';
import { isSameProcess } from '../../scripts/launcher/process-identity.js';
import { freePort, pollUntil } from '../helpers/store-cluster.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function picokube(args: string[], timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'scripts/picokube.ts'), ...args],
      { cwd: ROOT, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

async function freePortPair(avoid: Set<number>): Promise<number> {
  return pollUntil('a free port with a free neighbour', async () => {
    const p = await freePort();
    if (p >= 65535 || avoid.has(p) || avoid.has(p + 1) || (await portTaken(p + 1, '127.0.0.1'))) return undefined;
    avoid.add(p).add(p + 1);
    return p;
  });
}

function live(pids: PidFile): string[] {
  const launcher = pids.launcher ? [{ name: 'launcher', ...pids.launcher }] : [];
  return [...launcher, ...pids.processes].filter((p) => isSameProcess(p.pid, p.argv)).map((p) => `${p.name} (pid ${p.pid})`);
}

/** The drills CI runs, each with a short workload around its fault; the partition after the replacement cuts the new member's links too. */
const CI_DRILLS = ['kill-store-leader', 'pause-store-leader', 'replace-store-member', 'partition-store-leader', 'torn-wal', 'backup-restore', 'kill-apiserver'];

t.test('fault drills against a detached (background-supervised) cluster pass every verdict, and down leaves no process behind', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-drills-'));
  const seen: PidFile[] = [];
  const remember = (): void => {
    const p = readPidFile(join(dir, 'pids.json'));
    if (p) seen.push(p);
  };
  t.teardown(() => {
    remember();
    for (const pids of seen)
      for (const p of [...(pids.launcher ? [pids.launcher] : []), ...pids.processes]) if (isSameProcess(p.pid, p.argv)) process.kill(p.pid, 'SIGKILL');
    if (t.passing()) rmSync(dir, { recursive: true, force: true });
    else t.comment(`kept ${dir}`);
  });
  const avoid = new Set<number>();
  const storePorts = [await freePortPair(avoid), await freePortPair(avoid), await freePortPair(avoid)];
  let apiserverPort = await freePort();
  while (avoid.has(apiserverPort)) apiserverPort = await freePort();
  const up = await picokube([
    'up',
    '--detach',
    '--dir',
    dir,
    '--apiserver-port',
    String(apiserverPort),
    '--store-ports',
    storePorts.join(','),
    '--log-level',
    'warn',
    // Two apiservers behind the front: every workload goes through it, and kill-apiserver must not stop the clients.
    '--apiservers',
    '2',
  ]);
  remember();
  t.equal(up.code, 0, `up:\n${up.stdout}${up.stderr}`);
  if (up.code !== 0) return;

  for (const [i, name] of CI_DRILLS.entries()) {
    const run = await picokube([
      'drill',
      name,
      '--dir',
      dir,
      '--seed',
      String(i + 1),
      '--json',
      '--warmup-ms',
      '1500',
      '--fault-ms',
      '1500',
      '--settle-ms',
      '1500',
      '--converge-limit-ms',
      '90000',
    ]);
    remember();
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as DrillReport;
    const failed = (report.verdicts ?? []).filter((v) => !v.pass);
    t.equal(run.code, 0, `${name}: exit 0; ${failed.map((v) => `${v.name}: ${v.detail}`).join('; ')}${run.stderr}`);
    t.equal(report.name, name);
    t.ok(report.verdicts.length >= 8, `${name} checked ${report.verdicts.length} verdicts`);
    t.same(failed, [], `${name}: every verdict passes`);
    t.ok(report.store.ok > 0 && report.api.ok > 0, `${name}: the workloads ran (${report.store.ok} store, ${report.api.ok} apiserver operations)`);
    if (name === 'kill-apiserver')
      t.ok(
        report.verdicts.some((v) => v.name.startsWith('apiserver writes went on through the front')),
        'with two apiservers, kill-apiserver checks that writes went on through the other',
      );
  }

  const down = await picokube(['down', '--dir', dir]);
  t.equal(down.code, 0, down.stdout + down.stderr);
  for (const pids of seen) t.same(live(pids), [], 'no recorded process is left');
});
