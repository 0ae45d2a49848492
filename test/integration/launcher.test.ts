import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { httpStatus } from '../../scripts/launcher/http-probe.js';
import { type PidFile, readPidFile } from '../../scripts/launcher/pid-file.js';
import { adminProbeTls } from '../../scripts/launcher/pki.js';
import { portTaken } from '../../scripts/launcher/ports.js';
import { commandLineOf, isSameProcess } from '../../scripts/launcher/process-identity.js';
import { runUp } from '../../scripts/launcher/up.js';
import { KubeCluster } from '../helpers/kube-cluster.js';
import { freePort, pollUntil } from '../helpers/store-cluster.js';

const ROOT = new URL('../..', import.meta.url).pathname;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `picokube ARGS` as a user would (a process of its own), to completion. */
function picokube(args: string[], timeoutMs = 240_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/picokube.ts'), ...args], { cwd: ROOT, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function kubectl(kubeconfig: string, cacheDir: string, args: string[], input = ''): Promise<Run> {
  return new Promise((resolve) => {
    const p = execFile(
      'kubectl',
      ['--kubeconfig', kubeconfig, ...args],
      { env: { ...process.env, KUBECACHEDIR: cacheDir }, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      },
    );
    p.stdin?.end(input);
  });
}

/** A free port whose neighbour is free too (a store replica's peer port is its client port + 1). */
async function freePortPair(avoid: Set<number>): Promise<number> {
  return pollUntil('a free port with a free neighbour', async () => {
    const p = await freePort();
    if (p >= 65535 || avoid.has(p) || avoid.has(p + 1) || (await portTaken(p + 1, '127.0.0.1'))) return undefined;
    avoid.add(p).add(p + 1);
    return p;
  });
}

interface ClusterPorts {
  storePorts: number[];
  apiserverPort: number;
  flags: string[];
}

async function clusterPorts(): Promise<ClusterPorts> {
  const avoid = new Set<number>();
  const storePorts = [await freePortPair(avoid), await freePortPair(avoid), await freePortPair(avoid)];
  let apiserverPort = await freePort();
  while (avoid.has(apiserverPort)) apiserverPort = await freePort();
  return { storePorts, apiserverPort, flags: ['--apiserver-port', String(apiserverPort), '--store-ports', storePorts.join(',')] };
}

/** Every PID a pids.json records that still is the process it names. */
function stillRunning(pids: PidFile): string[] {
  const procs = [...pids.processes, ...(pids.launcher ? [{ name: 'launcher', ...pids.launcher }] : [])];
  return procs.filter((p) => isSameProcess(p.pid, p.argv)).map((p) => `${p.name} (pid ${p.pid})`);
}

/** Teardown of last resort: whatever a failed test left running in `dir` is killed by its recorded PID. */
function killLeftovers(dir: string, seen: PidFile[]): void {
  const now = readPidFile(join(dir, 'pids.json'));
  for (const pids of [...seen, ...(now ? [now] : [])]) {
    // The launcher first: it would restart what is killed before it.
    for (const p of [...(pids.launcher ? [pids.launcher] : []), ...pids.processes]) {
      if (isSameProcess(p.pid, p.argv)) process.kill(p.pid, 'SIGKILL');
    }
  }
}

function tempDir(t: Test, seen: PidFile[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-launcher-'));
  t.teardown(() => {
    killLeftovers(dir, seen);
    if (t.passing()) rmSync(dir, { recursive: true, force: true });
    else t.comment(`kept ${dir}`);
  });
  return dir;
}

t.test('up refuses a bad command line before it starts anything, and says what to fix', async (t) => {
  const fresh = tempDir(t, []);
  const existing = tempDir(t, []);
  writeFileSync(join(existing, 'cluster.json'), JSON.stringify({ storePorts: [3001, 3011, 3021], apiserverPort: 3031, token: 'x' }));
  const cases: { argv: string[]; dir?: string; says: RegExp }[] = [
    { argv: ['--store-ports', '2379,2389'], says: /expected 3 ports/ },
    { argv: ['--store-ports', '2379,2380,2399'], says: /port 2380 is asked for twice: store-1 peer port and store-2 client port/ },
    { argv: ['--store-ports', '2379,2389,2399', '--apiserver-port', '2390'], says: /port 2390 is asked for twice: store-2 peer port and the apiserver port/ },
    { argv: ['--store-ports', '2379,2389,65535'], says: /store-3 peer port would be port 65536/ },
    { argv: ['--apiserver-port', 'http'], says: /--apiserver-port: expected a port number/ },
    { argv: ['--apiserver-port', '70000'], says: /outside 1-65535/ },
    { argv: ['--log-level', 'loud'], says: /--log-level: expected one of/ },
    { argv: ['--bogus'], says: /Unknown option '--bogus'/ },
    { argv: ['--store-ports', '4001,4011,4021'], dir: existing, says: /created with --store-ports 3001,3011,3021/ },
    { argv: ['--replicas', '5'], dir: existing, says: /created with 3 replicas/ },
    { argv: ['--replicas', '5', '--store-ports', '2379,2389,2399'], says: /expected 5 ports/ },
    { argv: ['--schedulers', '0'], says: /--schedulers: expected a number from 1 to 9/ },
  ];
  for (const c of cases) {
    let err = '';
    const code = await runUp(['--dir', c.dir ?? fresh, ...c.argv], { out: () => {}, err: (s) => (err += s) });
    t.equal(code, 2, `${c.argv.join(' ')} is a usage error`);
    t.match(err, c.says, `${c.argv.join(' ')}: ${err.trim()}`);
  }
  for (const dir of [fresh, existing]) {
    t.notOk(existsSync(join(dir, 'pids.json')), 'nothing was started');
    t.notOk(existsSync(join(dir, 'logs')), 'nothing was written');
  }
});

t.test('up refuses ports that are taken, naming each, and starts nothing', async (t) => {
  const dir = tempDir(t, []);
  const ports = await clusterPorts();
  const holders: Server[] = [];
  for (const port of [ports.storePorts[1] as number, ports.apiserverPort]) {
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(port, '127.0.0.1', resolve));
    holders.push(srv);
  }
  t.teardown(() => Promise.all(holders.map((s) => new Promise((r) => s.close(r)))));
  const run = await picokube(['up', '--detach', '--dir', dir, ...ports.flags]);
  t.equal(run.code, 1);
  t.match(run.stderr, `127.0.0.1:${ports.storePorts[1]} (store-2 client port)`);
  t.match(run.stderr, `127.0.0.1:${ports.apiserverPort} (apiserver port)`);
  t.notOk(existsSync(join(dir, 'pids.json')), 'no process was recorded');
  t.notOk(existsSync(join(dir, 'store-1')), 'no replica created a data directory');
});

t.test('down leaves alone a recorded PID that now belongs to another process', async (t) => {
  const dir = tempDir(t, []);
  const stranger: ChildProcess = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  t.teardown(() => stranger.kill('SIGKILL'));
  const pid = stranger.pid as number;
  const stale: PidFile = {
    version: 1,
    dir,
    startedAt: new Date().toISOString(),
    processes: [
      {
        name: 'store-1',
        pid,
        argv: [process.execPath, '--import', 'tsx', 'picokube.ts', 'store'],
        phase: 1,
        readyUrl: 'http://127.0.0.1:1/readyz',
        endpoint: '127.0.0.1:1',
        logFile: join(dir, 'x.log'),
      },
    ],
  };
  writeFileSync(join(dir, 'pids.json'), JSON.stringify(stale));
  const status = await picokube(['status', '--dir', dir]);
  t.equal(status.code, 3, 'status: nothing of the cluster runs');
  t.match(status.stdout, new RegExp(`store-1\\s+${pid}\\s+stopped`));
  const down = await picokube(['down', '--dir', dir]);
  t.equal(down.code, 0, down.stderr);
  t.match(down.stdout, /store-1\s+pid \d+\s+not running/);
  t.equal(stranger.exitCode, null, 'the stranger still runs');
  t.equal(stranger.signalCode, null);
  t.notOk(existsSync(join(dir, 'pids.json')), 'the stale record is gone');
});

t.test('up --detach starts a cluster kubectl can use; down stops every process; a second up finds the data', async (t) => {
  const seen: PidFile[] = [];
  const dir = tempDir(t, seen);
  const ports = await clusterPorts();
  const kubeconfig = join(dir, 'kubeconfig');
  const cacheDir = join(dir, 'kube-cache');

  // Two schedulers and two controller-managers: one of each is a standby.
  const up = await picokube(['up', '--detach', '--dir', dir, ...ports.flags, '--schedulers', '2', '--controller-managers', '2']);
  const first = readPidFile(join(dir, 'pids.json'));
  if (first) seen.push(first);
  t.equal(up.code, 0, `up succeeded:\n${up.stdout}${up.stderr}`);
  t.match(up.stdout, /starting a new cluster/);
  t.match(up.stdout, /store leader: store-[123], term \d+/, 'up names the store leader once elected');
  t.match(up.stdout, `export KUBECONFIG=${kubeconfig}`);
  t.ok(first, 'pids.json records the processes');
  if (!first) return;
  t.same(
    first.processes.map((p) => p.name),
    [
      'fault-proxy',
      'store-1',
      'store-2',
      'store-3',
      'apiserver',
      'scheduler',
      'scheduler-2',
      'controller-manager',
      'controller-manager-2',
      'node-1',
      'node-2',
      'node-3',
    ],
  );
  const launcher = first.launcher;
  t.ok(launcher && isSameProcess(launcher.pid, launcher.argv), 'the launcher stays behind in the background, supervising');
  t.ok(launcher?.argv.includes('--background'), 'started as the background launcher');
  t.match(up.stdout, /It runs in the background, supervised by launcher pid \d+/);
  const tls = adminProbeTls(dir);
  t.ok(tls, 'the cluster CA and the admin certificate are in DIR/pki');
  t.equal(await httpStatus(`https://127.0.0.1:${ports.apiserverPort}/readyz`, 2000, tls), 200, 'the apiserver is ready over https, verified by the cluster CA');
  t.equal(await httpStatus(`http://127.0.0.1:${ports.apiserverPort}/readyz`, 2000), undefined, 'and speaks no plain http');
  const kubeconfigText = readFileSync(kubeconfig, 'utf8');
  t.match(kubeconfigText, `server: https://127.0.0.1:${ports.apiserverPort}`);
  t.match(kubeconfigText, 'certificate-authority-data:', 'kubectl verifies the server');
  t.notMatch(kubeconfigText, 'insecure-skip-tls-verify');
  t.match(readFileSync(join(dir, 'kubeconfigs', 'scheduler.kubeconfig'), 'utf8'), 'client-certificate-data:', 'each component has its own kubeconfig');

  const ns = await kubectl(
    kubeconfig,
    cacheDir,
    ['create', '-f', '-', '--validate=false'],
    JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'launcher-test' } }),
  );
  t.equal(ns.code, 0, `kubectl create: ${ns.stdout}${ns.stderr}`);
  const list = await kubectl(kubeconfig, cacheDir, ['get', 'ns']);
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, /launcher-test\s+Active/);
  // The scheduler, the controller-manager and the node agents came up with it: a Deployment's pods run.
  const deploy = await kubectl(kubeconfig, cacheDir, ['create', 'deployment', 'hello', '--image=nginx', '--replicas=3']);
  t.equal(deploy.code, 0, deploy.stderr);
  const running = await pollUntil(
    'three Running pods of the deployment',
    async () => {
      const r = await kubectl(kubeconfig, cacheDir, [
        'get',
        'pods',
        '-l',
        'app=hello',
        '-o',
        'jsonpath={range .items[*]}{.status.phase} {.spec.nodeName}{"\\n"}{end}',
      ]);
      const rows = r.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('Running '));
      return rows.length === 3 ? rows : undefined;
    },
    120_000,
    250,
  );
  t.strictSame(running.map((r) => r.split(' ')[1]).sort(), ['node-1', 'node-2', 'node-3'], 'one pod on each node');
  // The seed's two pods, applied by the real kubectl from their manifests, reach Running.
  const fixtures = join(ROOT, 'test/e2e/fixtures');
  const seed = await kubectl(kubeconfig, cacheDir, ['apply', '-f', join(fixtures, 'myapp-pod.yaml'), '-f', join(fixtures, 'label-demo.yaml')]);
  t.equal(seed.code, 0, `kubectl apply: ${seed.stdout}${seed.stderr}`);
  t.match(seed.stdout, /pod\/myapp-pod created/);
  t.match(seed.stdout, /pod\/label-demo created/);
  await pollUntil(
    'myapp-pod and label-demo Running',
    async () => {
      const r = await kubectl(kubeconfig, cacheDir, ['get', 'pods', 'myapp-pod', 'label-demo', '-o', 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}']);
      return r.stdout
        .trim()
        .split('\n')
        .filter((l) => l === 'Running').length === 2
        ? true
        : undefined;
    },
    120_000,
    250,
  );
  const labelled = await kubectl(kubeconfig, cacheDir, ['get', 'pods', '-l', 'environment=production,app=nginx', '-o', 'name']);
  t.equal(labelled.stdout.trim(), 'pod/label-demo', 'label-demo is found by its labels');

  const status = await picokube(['status', '--dir', dir]);
  t.equal(status.code, 0, status.stdout);
  for (const p of first.processes) t.match(status.stdout, new RegExp(`${p.name}\\s+${p.pid}\\s+running\\s+ready`), `status lists ${p.name}`);
  t.match(status.stdout, /supervised by launcher pid \d+ in the background/);
  t.match(status.stdout, /store: leader store-[123], term \d+/, 'status names the store leader');
  t.equal(
    status.stdout.match(/^\s+store-\d\s+\d\s+(yes|no)\s+\d+\s+\d+\s+\d+\s+\d+\s+yes$/gm)?.length,
    3,
    'three healthy replicas with term, revision and raft index',
  );
  for (const role of ['scheduler', 'controller-manager']) {
    const roles = [...status.stdout.matchAll(new RegExp(`^\\s+${role}(?:-2)?\\s+\\d+\\s+running\\s+ready\\s+(active|standby)\\s`, 'gm'))]
      .map((m) => m[1])
      .sort();
    t.same(roles, ['active', 'standby'], `one ${role} is active, the other stands by`);
  }
  t.match(status.stdout, /nodes: 3 of 3 Ready/);
  const podCounts = [...status.stdout.matchAll(/^\s+node-\d\s+True\s+(\d+)$/gm)].map((m) => Number(m[1]));
  t.equal(podCounts.length, 3, 'every node is listed Ready');
  t.equal(
    podCounts.reduce((a, b) => a + b, 0),
    5,
    'their pod counts add up to the three deployment pods and the two seed pods',
  );

  // The background launcher restarts a process that dies, as a foreground one does.
  const victim = first.processes.find((p) => p.name === 'node-3');
  if (victim) process.kill(victim.pid, 'SIGKILL');
  const replaced = await pollUntil(
    'the launcher to restart node-3',
    () => {
      const now = readPidFile(join(dir, 'pids.json'));
      const r = now?.processes.find((p) => p.name === 'node-3');
      return now && r && r.pid !== victim?.pid && isSameProcess(r.pid, r.argv) ? now : undefined;
    },
    60_000,
    100,
  );
  seen.push(replaced);
  t.match(readFileSync(join(dir, 'logs', 'launcher.log'), 'utf8'), /node-3 exited \(SIGKILL\); restarting/, 'the launcher log shows the restart');

  const again = await picokube(['up', '--detach', '--dir', dir, ...ports.flags]);
  t.equal(again.code, 1, 'a second up while it runs is refused');
  t.match(again.stderr, /already running/);

  const down = await picokube(['down', '--dir', dir]);
  t.equal(down.code, 0, down.stdout + down.stderr);
  t.same(stillRunning(first), [], 'every recorded process is gone, the launcher with them');
  t.same(stillRunning(replaced), [], 'and the restarted node-3');
  t.notOk(existsSync(join(dir, 'pids.json')));
  t.equal(await httpStatus(`https://127.0.0.1:${ports.apiserverPort}/readyz`, 500), undefined, 'nothing answers on the apiserver port');
  t.equal((await picokube(['status', '--dir', dir])).code, 3, 'status: nothing runs');

  const restart = await picokube(['up', '--detach', '--dir', dir]);
  const second = readPidFile(join(dir, 'pids.json'));
  if (second) seen.push(second);
  t.equal(restart.code, 0, `second up:\n${restart.stdout}${restart.stderr}`);
  t.match(restart.stdout, /restarting the cluster/);
  t.match(restart.stdout, `127.0.0.1:${ports.storePorts[0]}`, 'the recorded ports are used again without flags');
  const after = await kubectl(kubeconfig, cacheDir, ['get', 'ns', 'launcher-test', '-o', 'jsonpath={.metadata.name}']);
  t.equal(after.stdout, 'launcher-test', `the namespace created before the restart is there (${after.stderr.trim()})`);
  const seedAfter = await kubectl(kubeconfig, cacheDir, ['get', 'pods', 'myapp-pod', 'label-demo', '-o', 'name']);
  t.equal(seedAfter.stdout.trim(), 'pod/myapp-pod\npod/label-demo', `both seed pods are still there after the restart (${seedAfter.stderr.trim()})`);
  t.same(
    second?.processes.filter((p) => /^(scheduler|controller-manager)/.test(p.name)).map((p) => p.name),
    ['scheduler', 'scheduler-2', 'controller-manager', 'controller-manager-2'],
    'the standbys are remembered without flags',
  );
  const down2 = await picokube(['down', '--dir', dir]);
  t.equal(down2.code, 0);
  if (second) t.same(stillRunning(second), [], 'every process of the second run is gone');
});

t.test('a foreground up restarts a process that dies, and stops everything on SIGINT', async (t) => {
  const seen: PidFile[] = [];
  const dir = tempDir(t, seen);
  const ports = await clusterPorts();
  const launcher = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/picokube.ts'), 'up', '--dir', dir, ...ports.flags], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (launcher.exitCode === null && launcher.signalCode === null) launcher.kill('SIGKILL');
  });
  let out = '';
  launcher.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  launcher.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<number | null>((resolve) => launcher.once('exit', (code) => resolve(code)));
  await pollUntil('the foreground cluster to be up', () => out.includes('Ctrl-C stops it') || launcher.exitCode !== null, 240_000, 100);
  t.match(out, /The cluster is up/, out);
  const first = readPidFile(join(dir, 'pids.json'));
  t.ok(first?.launcher, 'pids.json names the launcher');
  if (!first) return;
  seen.push(first);
  t.equal(first.launcher?.pid, launcher.pid);
  t.match((await picokube(['status', '--dir', dir])).stdout, `supervised by launcher pid ${launcher.pid} in the foreground`);

  const victim = first.processes.find((p) => p.name === 'store-2');
  if (!victim) throw new Error('no store-2 recorded');
  process.kill(victim.pid, 'SIGKILL');
  const replaced = await pollUntil(
    'store-2 to be restarted',
    () => {
      const now = readPidFile(join(dir, 'pids.json'));
      const p = now?.processes.find((x) => x.name === 'store-2');
      return p && p.pid !== victim.pid && isSameProcess(p.pid, p.argv) ? now : undefined;
    },
    60_000,
    100,
  );
  seen.push(replaced);
  t.match(out, /store-2 exited \(SIGKILL\); restarting/);

  launcher.kill('SIGINT');
  t.equal(await exited, 0, 'the launcher exits 0 after a clean stop');
  t.match(out, /stopped\. Data stays in/);
  t.same(stillRunning(replaced), [], 'every process it supervised is gone');
  t.notOk(existsSync(join(dir, 'pids.json')));
});

t.test('the test harness starts a control plane kubectl talks to, restarts its apiserver, and ends every process', async (t) => {
  const cluster = await KubeCluster.start();
  t.teardown(() => cluster.stop(!t.passing()));
  t.equal(await httpStatus(`${cluster.url}/readyz`), 200);
  const version = await cluster.kubectl(['version', '-o', 'json']);
  t.equal(version.code, 0, version.stderr);
  t.match(JSON.parse(version.stdout), { serverVersion: { major: '1', minor: '32' } }, 'kubectl reads the server version through the kubeconfig');
  const created = await cluster.kubectl(['create', '-f', '-', '--validate=false'], { input: 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: harness\n' });
  t.equal(created.code, 0, `stdin reaches kubectl: ${created.stdout}${created.stderr}`);

  const first = cluster.apiserver(0).proc?.pid;
  await cluster.stopApiserver();
  t.equal(await httpStatus(`${cluster.url}/readyz`, 500), undefined, 'the stopped apiserver no longer answers');
  await cluster.startApiserver();
  t.not(cluster.apiserver(0).proc?.pid, first, 'a new process serves');
  const got = await cluster.kubectl(['get', 'ns', 'harness', '-o', 'name']);
  t.equal(got.stdout.trim(), 'namespace/harness', 'the restarted apiserver serves what the store kept');

  const pids = [cluster.apiserver(0).proc?.pid, ...cluster.store.replicas.map((r) => r.proc?.pid)];
  const dirs = [cluster.dir, cluster.store.dir];
  await cluster.stop();
  for (const pid of pids) t.equal(commandLineOf(pid ?? 0), undefined, `pid ${pid} is gone`);
  for (const dir of dirs) t.notOk(existsSync(dir), `${dir} is removed`);
});
