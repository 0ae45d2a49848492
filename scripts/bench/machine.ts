import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir, totalmem } from 'node:os';

/**
 * The etcd binary: on the PATH, or /usr/bin/etcd; failing both, Debian's etcd-server is
 * installed with apt-get (the benchmark runs as root on the project's machines).
 */
export function ensureEtcd(log: (line: string) => void): string {
  const found = findEtcd();
  if (found) return found;
  log("etcd not found: installing Debian's etcd-server");
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'etcd-server']]) {
    log(`$ apt-get ${args.join(' ')}`);
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
  }
  const installed = findEtcd();
  if (!installed) throw new Error('etcd-server installed, but no etcd binary found');
  return installed;
}

function findEtcd(): string | undefined {
  const which = spawnSync('which', ['etcd'], { encoding: 'utf8' });
  const onPath = which.status === 0 ? which.stdout.trim() : '';
  if (onPath) return onPath;
  return existsSync('/usr/bin/etcd') ? '/usr/bin/etcd' : undefined;
}

export function etcdVersion(binary: string): string {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
    return /etcd Version:\s*(\S+)/.exec(out)?.[1] ?? out.split('\n')[0] ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface MachineInfo {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly etcd: string;
  readonly dataFs: string;
}

export function machineInfo(etcdBinary: string): MachineInfo {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  let dataFs = 'unknown';
  try {
    const line = execFileSync('df', ['-T', tmpdir()], { encoding: 'utf8' }).trim().split('\n')[1] ?? '';
    const [device, type] = line.split(/\s+/);
    dataFs = `${type ?? '?'} on ${device ?? '?'} (${tmpdir()})`;
  } catch {
    /* keep unknown */
  }
  return { cpus: availableParallelism(), cpuModel: model, memoryGiB: totalmem() / 2 ** 30, node: process.version, etcd: etcdVersion(etcdBinary), dataFs };
}
