import { type ComponentSpec, phases } from './components.js';
import type { ClusterLayout } from './layout.js';
import { type PidRecord, removePidFile, writePidFile } from './pid-file.js';
import { ownCommandLine } from './process-identity.js';
import { planReload } from './reload-plan.js';
import { readRestartHold } from './restart-hold.js';
import { type StartedComponent, startComponent, waitReady } from './start-component.js';
import { STOP_GRACE_MS, type StopOutcome, type StopTarget, stopProcesses } from './stop-processes.js';

/** What the cluster's processes tell the console. */
export interface ClusterEvents {
  ready(started: StartedComponent, afterMs: number): void;
  exited(name: string, how: string, restartInMs: number | undefined): void;
  stopped(target: StopTarget, outcome: StopOutcome): void;
  /** A step of a reload (reloadComponents): what was started, stopped or waited for. */
  reloading(step: string): void;
}

/** A process that ran at least this long before dying is restarted at once; quicker deaths back off. */
const HEALTHY_RUN_MS = 5000;
const RESTART_BACKOFF_MAX_MS = 30_000;
/** How often a held component's hold is looked at again (restart-hold.ts). */
const HOLD_POLL_MS = 200;

/** How long a reload waits for a component it started to be ready. */
const RELOAD_READY_MS = 120_000;

/**
 * The processes one `up` started, with DIR/pids.json kept in step with them: written after every
 * start (so a launcher that dies mid-way leaves a record for `down`) and removed after the stop.
 * Once the cluster is up it supervises: a component that dies is restarted, with backoff when it
 * keeps dying young; and it can move to a changed process table (reloadComponents).
 */
export class ClusterProcesses {
  private readonly current = new Map<string, StartedComponent>();
  /** The process table in its order; pids.json lists the components so. */
  private table: ComponentSpec[] = [];
  private readonly startedAt = new Date().toISOString();
  private stopping = false;
  private supervising = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private reloads = { count: 0, at: '', outcome: '' };

  constructor(
    private readonly layout: ClusterLayout,
    private readonly events: ClusterEvents,
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  records(): PidRecord[] {
    return this.table.flatMap((s) => {
      const c = this.current.get(s.name);
      return c ? [c.record] : [];
    });
  }

  /** Starts the components phase by phase, each phase once the one before is ready; throws a StartError. */
  async startAll(components: readonly ComponentSpec[], readyTimeoutMs: number): Promise<void> {
    this.table = [...components];
    for (const group of phases(components)) {
      if (this.stopping) return;
      const t0 = Date.now();
      const started = group.map((spec) => this.start(spec, 0));
      const afterMs = await Promise.all(
        started.map(async (s) => {
          await waitReady(s.record, readyTimeoutMs);
          return Date.now() - t0;
        }),
      );
      // Reported in table order once the whole phase is ready, so the output reads like a table.
      started.forEach((s, i) => {
        this.events.ready(s, afterMs[i] ?? 0);
      });
    }
  }

  /** From now on a component that dies is started again. */
  superviseRestarts(): void {
    this.supervising = true;
  }

  /** Stops every process, last phase first, SIGKILL after `graceMs`; removes pids.json. */
  async stopAll(graceMs: number): Promise<void> {
    this.stopping = true;
    for (const t of this.restartTimers) clearTimeout(t);
    this.restartTimers.clear();
    await stopProcesses(this.records(), graceMs, (t, o) => this.events.stopped(t, o));
    removePidFile(this.layout.pidsFile);
  }

  /** The second Ctrl-C: no more waiting. */
  killAllNow(): void {
    this.stopping = true;
    for (const c of this.current.values()) c.child.kill('SIGKILL');
  }

  /**
   * Moves the running cluster to the process table `next` (the store membership changed):
   * stops the components `next` no longer has, starts the new ones, then restarts one at a time
   * those whose command line changed, each once `mayStop` allows it (a store replica only while
   * the others keep a quorum). pids.json records the outcome under `reloads` for whoever asked.
   * Returns the outcome: "ok", or what failed.
   */
  async reloadComponents(next: readonly ComponentSpec[], mayStop: (spec: ComponentSpec) => Promise<void>): Promise<string> {
    const plan = planReload(this.table, next);
    let outcome = 'ok';
    try {
      for (const name of plan.remove) {
        const gone = this.current.get(name);
        // Out of `current` first, so that its exit is not taken for a crash.
        this.current.delete(name);
        this.table = this.table.filter((s) => s.name !== name);
        if (gone) await stopProcesses([gone.record], STOP_GRACE_MS, (t, o) => this.events.stopped(t, o));
        this.events.reloading(`${name} removed from the cluster`);
      }
      this.writePids();
      for (const spec of plan.add) {
        this.checkNotStopping();
        this.table = tableOrder(next, [...this.table, spec]);
        const started = this.start(spec, 0);
        this.events.reloading(`${spec.name} started (pid ${started.record.pid})`);
        await waitReady(started.record, RELOAD_READY_MS);
        this.events.reloading(`${spec.name} ready`);
      }
      for (const spec of plan.restart) {
        await mayStop(spec);
        this.checkNotStopping();
        const old = this.current.get(spec.name);
        this.current.delete(spec.name);
        if (old) await stopProcesses([old.record], STOP_GRACE_MS, (t, o) => this.events.stopped(t, o));
        this.table = this.table.map((s) => (s.name === spec.name ? spec : s));
        const started = this.start(spec, 0);
        this.events.reloading(`${spec.name} restarted with its new command line (pid ${started.record.pid})`);
        await waitReady(started.record, RELOAD_READY_MS);
        this.events.reloading(`${spec.name} ready`);
      }
    } catch (e) {
      outcome = (e as Error).message;
    }
    this.reloads = { count: this.reloads.count + 1, at: new Date().toISOString(), outcome };
    this.writePids();
    return outcome;
  }

  private checkNotStopping(): void {
    if (this.stopping) throw new Error('the launcher is stopping the cluster');
  }

  private start(spec: ComponentSpec, failures: number): StartedComponent {
    const started = startComponent(spec, this.layout.logFile(spec.name));
    this.current.set(spec.name, started);
    this.writePids();
    const t0 = Date.now();
    started.child.once('exit', (code, signal) => {
      if (this.stopping || !this.supervising || this.current.get(spec.name) !== started) return;
      if (readRestartHold(this.layout.restartHoldFile).has(spec.name)) {
        // A drill killed it on purpose and keeps it down; it starts again once released.
        this.events.exited(spec.name, `${signal ?? `code ${code}`}; held down by a drill`, undefined);
        this.restartWhenReleased(started);
        return;
      }
      const young = Date.now() - t0 < HEALTHY_RUN_MS;
      const delayMs = young ? Math.min(RESTART_BACKOFF_MAX_MS, 500 * 2 ** failures) : 0;
      this.events.exited(spec.name, signal ?? `code ${code}`, delayMs);
      const timer = setTimeout(() => {
        this.restartTimers.delete(timer);
        if (!this.stopping) this.start(spec, young ? failures + 1 : 0);
      }, delayMs);
      this.restartTimers.add(timer);
    });
    return started;
  }

  private restartWhenReleased(dead: StartedComponent): void {
    const { spec } = dead;
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      // Stopping, or a reload removed or replaced it meanwhile.
      if (this.stopping || this.current.get(spec.name) !== dead) return;
      if (readRestartHold(this.layout.restartHoldFile).has(spec.name)) this.restartWhenReleased(dead);
      else {
        this.events.exited(spec.name, 'released by the drill', 0);
        this.start(spec, 0);
      }
    }, HOLD_POLL_MS);
    this.restartTimers.add(timer);
  }

  private writePids(): void {
    writePidFile(this.layout.pidsFile, {
      version: 1,
      dir: this.layout.dir,
      startedAt: this.startedAt,
      launcher: { pid: process.pid, argv: ownCommandLine() },
      ...(this.reloads.count > 0 ? { reloads: this.reloads } : {}),
      processes: this.records(),
    });
  }
}

/** `specs` in the order `table` lists their names. */
function tableOrder(table: readonly ComponentSpec[], specs: readonly ComponentSpec[]): ComponentSpec[] {
  const rank = new Map(table.map((s, i) => [s.name, i]));
  return [...specs].sort((a, b) => (rank.get(a.name) ?? Number.MAX_SAFE_INTEGER) - (rank.get(b.name) ?? Number.MAX_SAFE_INTEGER));
}
