import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiserverArgs } from '../../scripts/launcher/components.js';
import { httpStatus } from '../../scripts/launcher/http-probe.js';
import { writeKubeconfig } from '../../scripts/launcher/kubeconfig.js';
import { picokubeCommand } from '../../scripts/launcher/start-component.js';
import { StoreCluster, freePort, pollUntil } from './store-cluster.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Generous on purpose: a loaded CI machine starts a tsx-compiled process slowly. */
const READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
const KUBECTL_TIMEOUT_MS = 60_000;

export interface ApiserverProc {
  readonly index: number;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  proc: ChildProcess | undefined;
}

/** A scheduler, controller-manager or node agent process the test started (`startComponent`). */
export interface ComponentProc {
  readonly name: string;
  readonly port: number;
  readonly logFile: string;
  readonly proc: ChildProcess;
}

export interface KubeClusterOptions {
  /** How many apiservers, each on its own port, all on the same store (default 1). */
  readonly apiservers?: number;
  /** More flags for every apiserver, after the ones the harness sets. */
  readonly apiserverArgs?: readonly string[];
  readonly logLevel?: string;
}

export interface KubectlResult {
  /** The exit code; 124 when the harness killed a kubectl that ran past its time limit. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function isRunning(p: ChildProcess | undefined): p is ChildProcess {
  return p !== undefined && p.exitCode === null && p.signalCode === null;
}

/**
 * A real picokube control plane for tests: 3 store replicas (a StoreCluster, so a test can kill
 * its leader) and the apiserver(s) as separate processes on free loopback ports, with a
 * kubeconfig and a kubectl discovery cache of their own in a temporary folder. `stop()` ends
 * every process by its PID and removes the folders unless told to keep them (pass
 * `!t.passing()`, as with StoreCluster, to keep the logs of a failed test).
 */
export class KubeCluster {
  readonly apiservers: ApiserverProc[] = [];
  readonly kubeconfigPath: string;
  readonly token = 'picokube-test-token';
  private readonly cacheDir: string;
  private readonly kubectls = new Set<ChildProcess>();
  readonly components = new Map<string, ComponentProc>();

  private constructor(
    readonly dir: string,
    readonly store: StoreCluster,
    private readonly options: KubeClusterOptions,
  ) {
    this.kubeconfigPath = join(dir, 'kubeconfig');
    this.cacheDir = join(dir, 'kube-cache');
  }

  static async start(options: KubeClusterOptions = {}): Promise<KubeCluster> {
    const store = await StoreCluster.start(3);
    const c = new KubeCluster(mkdtempSync(join(tmpdir(), 'picokube-kube-')), store, options);
    try {
      for (let i = 0; i < (options.apiservers ?? 1); i++) {
        const port = await freePort();
        c.apiservers.push({ index: i, port, url: `http://127.0.0.1:${port}`, logFile: join(c.dir, `apiserver-${i}.log`), proc: undefined });
      }
      writeKubeconfig(c.kubeconfigPath, { server: c.url, token: c.token });
      await Promise.all(c.apiservers.map((a) => c.startApiserver(a.index)));
    } catch (e) {
      await c.stop(true);
      throw new Error(`${(e as Error).message}\n(logs kept in ${c.dir} and ${store.dir})`);
    }
    return c;
  }

  /** The first apiserver's base URL, the one the kubeconfig names. */
  get url(): string {
    return this.apiserver(0).url;
  }

  get urls(): string[] {
    return this.apiservers.map((a) => a.url);
  }

  apiserver(index: number): ApiserverProc {
    const a = this.apiservers[index];
    if (!a) throw new Error(`no apiserver ${index}`);
    return a;
  }

  log(index = 0): string {
    try {
      return readFileSync(this.apiserver(index).logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Starts apiserver `index` (again) on its port and waits until /readyz answers 200. */
  async startApiserver(index = 0): Promise<void> {
    const a = this.apiserver(index);
    if (isRunning(a.proc)) throw new Error(`apiserver ${index} is already running (pid ${a.proc.pid})`);
    const [cmd, ...args] = picokubeCommand([
      ...apiserverArgs({ storeEndpoints: this.store.endpoints, port: a.port, logLevel: this.options.logLevel ?? 'info' }),
      ...(this.options.apiserverArgs ?? []),
    ]);
    const fd = openSync(a.logFile, 'a');
    const proc = spawn(cmd as string, args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    a.proc = proc;
    const tail = (): string => this.log(index).split('\n').slice(-12).join('\n');
    let outcome: 'ready' | 'exited';
    try {
      outcome = await pollUntil(
        `apiserver ${index} /readyz`,
        async () => {
          if (!isRunning(proc)) return 'exited' as const;
          return (await httpStatus(`${a.url}/readyz`, 2000)) === 200 ? ('ready' as const) : undefined;
        },
        READY_TIMEOUT_MS,
        100,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; the end of its log:\n${tail()}`);
    }
    if (outcome === 'exited')
      throw new Error(`apiserver ${index} exited (${proc.signalCode ?? `code ${proc.exitCode}`}) before it was ready; the end of its log:\n${tail()}`);
  }

  /** Stops apiserver `index`: SIGTERM (a graceful stop) by default, SIGKILL after a deadline; resolves once it has exited. */
  async stopApiserver(index = 0, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.apiserver(index).proc;
    if (!isRunning(p)) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Runs the machine's kubectl against this cluster: `--kubeconfig` set, and its discovery cache
   * in this cluster's folder (kubectl would otherwise reuse hours-old discovery of another server
   * that had the same port). `input` goes to its stdin (for `-f -`).
   */
  kubectl(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const proc = spawn('kubectl', ['--kubeconfig', this.kubeconfigPath, ...args], {
        env: { ...process.env, KUBECACHEDIR: this.cacheDir },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.kubectls.add(proc);
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      proc.stdout.setEncoding('utf8').on('data', (s: string) => {
        stdout += s;
      });
      proc.stderr.setEncoding('utf8').on('data', (s: string) => {
        stderr += s;
      });
      const timer = setTimeout(() => {
        timedOut = true;
        proc.kill('SIGKILL');
      }, opts.timeoutMs ?? KUBECTL_TIMEOUT_MS);
      proc.once('error', (e) => {
        clearTimeout(timer);
        this.kubectls.delete(proc);
        reject(new Error(`cannot run kubectl: ${e.message}`));
      });
      proc.once('close', (code) => {
        clearTimeout(timer);
        this.kubectls.delete(proc);
        resolve(
          timedOut
            ? { code: 124, stdout, stderr: `${stderr}(killed by the test harness after ${opts.timeoutMs ?? KUBECTL_TIMEOUT_MS} ms)\n` }
            : { code: code ?? 1, stdout, stderr },
        );
      });
      proc.stdin.on('error', () => {
        /* kubectl may exit before reading its input; its exit code tells */
      });
      proc.stdin.end(opts.input ?? '');
    });
  }

  /**
   * Starts kubectl against this cluster (same kubeconfig and discovery cache as `kubectl()`) and
   * returns at once, for commands that do not end by themselves (`get -w`). The caller reads its
   * stdout and kills it by its PID; `stop()` kills it too if it still runs.
   */
  kubectlSpawn(args: readonly string[]): ChildProcess {
    const proc = spawn('kubectl', ['--kubeconfig', this.kubeconfigPath, ...args], {
      env: { ...process.env, KUBECACHEDIR: this.cacheDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.kubectls.add(proc);
    proc.once('close', () => this.kubectls.delete(proc));
    proc.once('error', () => this.kubectls.delete(proc));
    return proc;
  }

  /**
   * Starts `picokube <args>` as a component of this cluster (scheduler, controller-manager, node),
   * with this cluster's kubeconfig, a free health port and its own log file, and waits until its
   * /readyz answers 200. `name` identifies it for `stopComponent` and `componentLog`.
   */
  async startComponent(name: string, args: readonly string[]): Promise<ComponentProc> {
    const running = this.components.get(name);
    if (running && isRunning(running.proc)) throw new Error(`${name} is already running (pid ${running.proc.pid})`);
    const port = await freePort();
    const logFile = join(this.dir, `${name}.log`);
    // Provisioned volumes go under the test's own folder, never the checkout's .picokube/.
    const volumes = args[0] === 'controller-manager' && !args.includes('--local-path-dir') ? ['--local-path-dir', join(this.dir, 'volumes')] : [];
    const [cmd, ...rest] = picokubeCommand([
      ...args,
      ...volumes,
      '--kubeconfig',
      this.kubeconfigPath,
      '--port',
      String(port),
      '--log-level',
      this.options.logLevel ?? 'info',
    ]);
    const fd = openSync(logFile, 'a');
    const proc = spawn(cmd as string, rest, { cwd: ROOT, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const c: ComponentProc = { name, port, logFile, proc };
    this.components.set(name, c);
    const tail = (): string => this.componentLog(name).split('\n').slice(-12).join('\n');
    let outcome: 'ready' | 'exited';
    try {
      outcome = await pollUntil(
        `${name} /readyz`,
        async () => {
          if (!isRunning(proc)) return 'exited' as const;
          return (await httpStatus(`http://127.0.0.1:${port}/readyz`, 2000)) === 200 ? ('ready' as const) : undefined;
        },
        READY_TIMEOUT_MS,
        100,
      );
    } catch (e) {
      throw new Error(`${(e as Error).message}; the end of its log:\n${tail()}`);
    }
    if (outcome === 'exited')
      throw new Error(`${name} exited (${proc.signalCode ?? `code ${proc.exitCode}`}) before it was ready; the end of its log:\n${tail()}`);
    return c;
  }

  componentLog(name: string): string {
    const c = this.components.get(name);
    try {
      return c ? readFileSync(c.logFile, 'utf8') : '';
    } catch {
      return '';
    }
  }

  /** Stops a component by its PID: SIGTERM by default (SIGKILL after a deadline); resolves once it exited. */
  async stopComponent(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.components.get(name)?.proc;
    if (!isRunning(p)) return;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill(signal);
    const timer = setTimeout(() => p.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  /** Ends every process by its PID (kubectl runs included); removes the folders unless `keepDir`. */
  async stop(keepDir = false): Promise<void> {
    for (const k of this.kubectls) k.kill('SIGKILL');
    // SIGTERM: a node agent with the process runtime ends its containers' process groups on the way out.
    await Promise.all([...this.components.keys()].map((name) => this.stopComponent(name)));
    await Promise.all(this.apiservers.map((a) => this.stopApiserver(a.index, 'SIGKILL')));
    await this.store.stop(keepDir);
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
