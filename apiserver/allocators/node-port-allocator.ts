import { pickFromSpan, type RandomInt } from './service-ip-allocator.js';

/**
 * The node port range (kube-apiserver's `--service-node-port-range`, default 30000-32767, and
 * its `registry/core/service/portallocator`). One port number is one allocation whatever the
 * protocol, as in kube. Pure: taken ports and randomness are passed in. Like the IP range, the
 * first ports of the range form a band kept for user-chosen ports (KEP-3668): dynamic picks try
 * the rest first.
 */

export class PortRangeError extends Error {
  override readonly name = 'PortRangeError';
}

export class NodePortRange {
  readonly base: number;
  readonly size: number;

  constructor(base: number, size: number) {
    this.base = base;
    this.size = size;
  }

  /** `30000-32767` (or a single `30000`); throws PortRangeError otherwise. */
  static parse(text: string): NodePortRange {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(text);
    if (!m?.[1]) throw new PortRangeError(`invalid port range: ${text}`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 1 || hi > 65535 || hi < lo) throw new PortRangeError(`invalid port range: ${text}`);
    return new NodePortRange(lo, hi - lo + 1);
  }

  /** As kube prints it in errors: `30000-32767`. */
  toString(): string {
    return `${this.base}-${this.base + this.size - 1}`;
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size;
  }

  /** The band at the start of the range kept for user-chosen ports (kube's calculateRangeOffset). */
  get staticBandSize(): number {
    const min = 16;
    const max = 128;
    if (this.size < min) return 0;
    return Math.max(min, Math.min(max, Math.floor(this.size / 32)));
  }

  /** A free port, at random, outside the static band first; undefined when the range is full. */
  pick(taken: ReadonlySet<number>, randomInt: RandomInt): number | undefined {
    const asText = new Set([...taken].map(String));
    const band = this.staticBandSize;
    const render = (offset: number): string => String(this.base + offset);
    const found = pickFromSpan(band, this.size - 1, asText, randomInt, render) ?? pickFromSpan(0, band - 1, asText, randomInt, render);
    return found === undefined ? undefined : Number(found);
  }
}
