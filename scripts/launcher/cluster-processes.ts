import { type ComponentSpec, phases } from './components.js';
import type { ClusterLayout } from './layout.js';
import { type PidRecord, removePidFile, writePidFile } from './pid-file.js';
import { ownCommandLine } from './process-identity.js';
import { readRestartHold } from './restart-hold.js';
import { type StartedComponent, startComponent, waitReady } from './start-component.js';
import { type StopOutcome, type StopTarget, stopProcesses } from './stop-processes.js';

/** What the cluster's processes tell the console. */
export interface ClusterEvents {
  ready(started: StartedComponent, afterMs: number): void;
  exited(name: string, how: string, restartInMs: number | undefined): void;
  stopped(target: StopTarget, outcome: StopOutcome): void;
}

/** A process that ran at least this long before dying is restarted at once; quicker deaths back off. */
const HEALTHY_RUN_MS = 5000;
const RESTART_BACKOFF_MAX_MS = 30_000;
/** How often a held component's hold is looked at again (restart-hold.ts). */
const HOLD_POLL_MS = 200;

/**
 * The processes one `up` started, with DIR/pids.json kept in step with them: written after every
 * start (so a launcher that dies mid-way leaves a record for `down`) and removed after the stop.
 * In the foreground it also supervises: a component that dies is restarted, with backoff when it
 * keeps dying young.
 */
export class ClusterProcesses {
  private readonly current = new Map<string, StartedComponent>();
  private readonly startedAt = new Date().toISOString();
  private stopping = false;
  private supervising = false;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly layout: ClusterLayout,
    private readonly detach: boolean,
    private readonly events: ClusterEvents,
  ) {}

  get isStopping(): boolean {
    return this.stopping;
  }

  records(): PidRecord[] {
    return [...this.current.values()].map((c) => c.record);
  }

  /** Starts the components phase by phase, each phase once the one before is ready; throws a StartError. */
  async startAll(components: readonly ComponentSpec[], readyTimeoutMs: number): Promise<void> {
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

  /** From now on a component that dies is started again (foreground only). */
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

  private start(spec: ComponentSpec, failures: number): StartedComponent {
    const started = startComponent(spec, this.layout.logFile(spec.name), this.detach);
    this.current.set(spec.name, started);
    this.writePids();
    const t0 = Date.now();
    started.child.once('exit', (code, signal) => {
      if (this.stopping || !this.supervising || this.current.get(spec.name) !== started) return;
      if (readRestartHold(this.layout.restartHoldFile).has(spec.name)) {
        // A drill killed it on purpose and keeps it down; it starts again once released.
        this.events.exited(spec.name, `${signal ?? `code ${code}`}; held down by a drill`, undefined);
        this.restartWhenReleased(spec);
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

  private restartWhenReleased(spec: ComponentSpec): void {
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.stopping) return;
      if (readRestartHold(this.layout.restartHoldFile).has(spec.name)) this.restartWhenReleased(spec);
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
      ...(this.detach ? {} : { launcher: { pid: process.pid, argv: ownCommandLine() } }),
      processes: this.records(),
    });
  }
}
