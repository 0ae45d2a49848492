import { seededRng } from '../../raft/core/rng.js';

/** Every drill, in the order `drill all` runs them. */
export const DRILL_NAMES = [
  'kill-store-leader',
  'kill-store-follower',
  'kill-store-majority',
  'pause-store-leader',
  'partition-store-leader',
  'restart-all-store',
  'torn-wal',
  'replace-store-member',
  'backup-restore',
  'kill-apiserver',
  'kill-scheduler',
  'kill-controller-manager',
  'kill-node',
] as const;

export type DrillName = (typeof DRILL_NAMES)[number];

export function isDrillName(s: string): s is DrillName {
  return (DRILL_NAMES as readonly string[]).includes(s);
}

/** How long a drill's phases last, before the seed varies them. */
export interface DrillTiming {
  /** The workload runs this long before the fault. */
  readonly warmupMs: number;
  /** The fault lasts this long (a process stays dead, paused or cut off). */
  readonly faultMs: number;
  /** The workload runs this long after the fault healed. */
  readonly settleMs: number;
  /** Deployments and ReplicaSets must be back at their desired counts within this after the heal. */
  readonly convergeLimitMs: number;
}

export const DEFAULT_TIMING: DrillTiming = { warmupMs: 3000, faultMs: 3000, settleMs: 3000, convergeLimitMs: 60_000 };

/**
 * One drill's plan: every choice the seed makes, fixed before anything happens, so that one
 * seed replays the same fault timing and the same victims.
 */
export interface DrillPlan {
  readonly name: DrillName;
  readonly seed: number;
  readonly warmupMs: number;
  readonly faultMs: number;
  readonly settleMs: number;
  readonly convergeLimitMs: number;
  /** Which candidate the drill picks when it has a choice (a follower, a node): an index mod the count. */
  readonly victimPick: number;
  /** torn-wal: how many bytes to cut off the newest WAL segment (1–64). */
  readonly tailCutBytes: number;
  /** torn-wal: also overwrite the byte before the cut with garbage. */
  readonly garbleTail: boolean;
}

/**
 * The plan for `name` under `seed`: each phase lasts between its base time and half again as
 * long; a pause always outlasts the election timeout (the base fault time is well above it).
 */
export function planDrill(name: DrillName, seed: number, timing: DrillTiming = DEFAULT_TIMING): DrillPlan {
  const rng = seededRng(seed ^ hashName(name));
  const vary = (ms: number): number => Math.round(ms + rng.float() * (ms / 2));
  return {
    name,
    seed,
    warmupMs: vary(timing.warmupMs),
    faultMs: vary(timing.faultMs),
    settleMs: vary(timing.settleMs),
    convergeLimitMs: timing.convergeLimitMs,
    victimPick: rng.int(1 << 16),
    tailCutBytes: 1 + rng.int(64),
    garbleTail: rng.int(2) === 1,
  };
}

/** The seed of round `round` of drill number `index` in a `drill all --rounds N` run. */
export function roundSeed(seed: number, round: number, index: number): number {
  return (seed + round * 1000 + index) >>> 0;
}

/** FNV-1a of the name, so each drill draws its own numbers from a shared seed. */
function hashName(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
