import { type ClusterConfig, readClusterConfig } from './cluster-config.js';
import type { ClusterProcesses } from './cluster-processes.js';
import type { ComponentSpec } from './components.js';
import type { ClusterLayout } from './layout.js';
import { stopKeepsQuorum } from './quorum-safety.js';
import type { Console } from './report.js';
import { readStoreStatuses } from './store-status.js';

/** The signal that asks a running launcher to reload the store membership (SIGHUP stops a foreground one: its terminal went away). */
export const RELOAD_SIGNAL: NodeJS.Signals = 'SIGUSR2';

/** How long a rolling restart waits for the store to afford losing one replica. */
const QUORUM_WAIT_MS = 120_000;

export interface ReloadContext {
  readonly procs: ClusterProcesses;
  /** The configuration the cluster was started with. */
  readonly config: ClusterConfig;
  readonly layout: ClusterLayout;
  readonly io: Console;
  /** The process table of a configuration (clusterComponents with this launcher's ports). */
  readonly componentsFor: (config: ClusterConfig) => ComponentSpec[];
}

/**
 * Waits until store replica `spec` may be stopped with the others keeping a quorum (a member
 * just added is a learner until promoted, and does not count); any other component at once.
 */
async function untilStopKeepsQuorum(spec: ComponentSpec, config: ClusterConfig, layout: ClusterLayout): Promise<void> {
  const id = /^store-(\d+)$/.exec(spec.name)?.[1];
  if (id === undefined) return;
  const deadline = Date.now() + QUORUM_WAIT_MS;
  for (;;) {
    const verdict = stopKeepsQuorum(await readStoreStatuses(config, layout, 1000), Number(id));
    if (verdict.safe) return;
    if (Date.now() > deadline) throw new Error(`${spec.name} was not restarted: ${verdict.why} (waited ${QUORUM_WAIT_MS / 1000} s)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * On RELOAD_SIGNAL, the launcher takes the store membership cluster.json now records (a drill
 * or an operator replaced a member with storectl and wrote the slot's new id there) and moves
 * the running processes to it: the removed replica's process is forgotten, the new one started
 * with --join, the others restarted with --peers for the new membership, one at a time, each
 * only while the rest keep a quorum. Reloads never overlap: a signal during one queues another.
 */
export function watchReloadSignal(ctx: ReloadContext): { release(): void } {
  let config = ctx.config;
  let chain: Promise<void> = Promise.resolve();
  const reload = async (): Promise<void> => {
    try {
      const recorded = readClusterConfig(ctx.layout.configFile);
      const next: ClusterConfig = recorded?.storeIds ? { ...config, storeIds: recorded.storeIds } : config;
      ctx.io.out(`picokube up: ${RELOAD_SIGNAL}: reloading the store membership from ${ctx.layout.configFile}\n`);
      const outcome = await ctx.procs.reloadComponents(ctx.componentsFor(next), (spec) => untilStopKeepsQuorum(spec, next, ctx.layout));
      config = next;
      ctx.io.out(outcome === 'ok' ? 'picokube up: reload done\n' : `picokube up: reload failed: ${outcome}\n`);
    } catch (e) {
      // A damaged cluster.json: the cluster runs on as it was.
      ctx.io.err(`picokube up: reload refused: ${(e as Error).message}\n`);
    }
  };
  const onSignal = (): void => {
    chain = chain.then(reload, reload);
  };
  process.on(RELOAD_SIGNAL, onSignal);
  return { release: () => process.off(RELOAD_SIGNAL, onSignal) };
}
