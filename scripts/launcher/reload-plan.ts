import type { ComponentSpec } from './components.js';

/** What a running launcher does to go from one process table to another (reloadComponents). */
export interface ReloadPlan {
  /** Components no longer in the table: stopped (if they run) and no longer supervised. */
  readonly remove: readonly string[];
  /** New components, in table order: started, each awaited ready. */
  readonly add: readonly ComponentSpec[];
  /** Components whose command line changed, in table order: restarted one at a time. */
  readonly restart: readonly ComponentSpec[];
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The difference between the running table and the one the cluster's configuration now gives
 * (a member replaced: store-2 gone, store-4 new, the other replicas' --peers changed). Removals
 * come first because a new member may take over a removed one's ports.
 */
export function planReload(running: readonly ComponentSpec[], next: readonly ComponentSpec[]): ReloadPlan {
  const before = new Map(running.map((s) => [s.name, s]));
  const after = new Set(next.map((s) => s.name));
  return {
    remove: running.filter((s) => !after.has(s.name)).map((s) => s.name),
    add: next.filter((s) => !before.has(s.name)),
    restart: next.filter((s) => {
      const old = before.get(s.name);
      return old !== undefined && !sameArgs(old.args, s.args);
    }),
  };
}
