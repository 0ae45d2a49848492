import type { Rng } from '../core/rng.js';
import type { NodeId } from '../core/types.js';

/** How unreliable the simulated network is right now. Delays are in virtual milliseconds. */
export interface NetworkConditions {
  lossRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** Chance that a message is held back much longer than usual (reordering across rounds). */
  longDelayRate: number;
  longDelayMs: number;
}

export const CALM_NETWORK: NetworkConditions = {
  lossRate: 0,
  duplicateRate: 0,
  minDelayMs: 0.5,
  maxDelayMs: 2,
  longDelayRate: 0,
  longDelayMs: 0,
};

/**
 * The simulated network between replicas: directed links that can be cut (a partition is a set
 * of cut links, one-way cuts included), loss, duplication and variable delay, which reorders.
 * It only decides the fate of each message; the simulator schedules the deliveries.
 */
export class SimNetwork {
  conditions: NetworkConditions = { ...CALM_NETWORK };
  private readonly cut = new Set<string>();

  constructor(private readonly rng: Rng) {}

  private static link(from: NodeId, to: NodeId): string {
    return `${from}>${to}`;
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(SimNetwork.link(from, to));
  }

  /** Cuts every link between the two groups, both ways. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cutLink(x, y);
        this.cutLink(y, x);
      }
    }
  }

  healAll(): void {
    this.cut.clear();
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.cut.has(SimNetwork.link(from, to));
  }

  get cutLinks(): number {
    return this.cut.size;
  }

  /** The delivery delays for one message: none if it is lost, two if it is duplicated. */
  fate(from: NodeId, to: NodeId): number[] {
    if (this.isCut(from, to)) return [];
    const c = this.conditions;
    if (c.lossRate > 0 && this.rng.float() < c.lossRate) return [];
    const delays = [this.delay()];
    if (c.duplicateRate > 0 && this.rng.float() < c.duplicateRate) delays.push(this.delay());
    return delays;
  }

  /** Client traffic: never cut (clients reach every replica) but subject to loss and delay. */
  clientFate(): number[] {
    const c = this.conditions;
    if (c.lossRate > 0 && this.rng.float() < c.lossRate) return [];
    return [this.delay()];
  }

  private delay(): number {
    const c = this.conditions;
    let d = c.minDelayMs + this.rng.float() * (c.maxDelayMs - c.minDelayMs);
    if (c.longDelayRate > 0 && this.rng.float() < c.longDelayRate) d += this.rng.float() * c.longDelayMs;
    return d;
  }
}
