/**
 * The service IP range (kube-apiserver's `--service-cluster-ip-range` and its
 * `registry/core/service/ipallocator`): an IPv4 CIDR whose network and broadcast addresses are
 * never handed out. Pure: which addresses are taken and where randomness comes from are passed in.
 *
 * As kube since 1.26 (KEP-3070), the first addresses of the range form a band kept for
 * user-chosen IPs: a dynamic pick tries the rest of the range first and only falls back to the
 * band when the rest is full, so `10.96.0.1` (the `kubernetes` Service) and IPs users pin in
 * manifests rarely collide with ones handed out before them.
 */

/** A picker of an integer in [0, n): the caller's randomness (crypto in the server, a seed in tests). */
export type RandomInt = (n: number) => number;

export class CidrError extends Error {
  override readonly name = 'CidrError';
}

export class ServiceIpRange {
  /** The CIDR as given, normalised (`10.96.0.0/12`). */
  readonly cidr: string;
  /** The network address as an unsigned 32-bit integer. */
  private readonly network: number;
  /** Addresses in the CIDR, network and broadcast included. */
  private readonly sizeTotal: number;

  private constructor(network: number, prefixLength: number) {
    this.network = network;
    this.sizeTotal = 2 ** (32 - prefixLength);
    this.cidr = `${intToIp(network)}/${prefixLength}`;
  }

  /**
   * Parses `a.b.c.d/n`; throws CidrError for anything else. Host bits must be zero, as Go's
   * net.ParseCIDR-based check in kube does. /31 and /32 leave no address to hand out and are refused
   * (kube needs at least a few addresses too).
   */
  static parse(text: string): ServiceIpRange {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text.trim());
    if (!m?.[1] || m[2] === undefined) throw new CidrError(`invalid CIDR address: ${text}`);
    const ip = ipToInt(m[1]);
    const prefixLength = Number(m[2]);
    if (ip === undefined || prefixLength > 32) throw new CidrError(`invalid CIDR address: ${text}`);
    if (prefixLength > 30) throw new CidrError(`the service cluster IP range ${text} is too small: it must hold at least 2 addresses`);
    const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
    if ((ip & ~mask) >>> 0 !== 0)
      throw new CidrError(`invalid CIDR address: ${text}: host bits are set (the network is ${intToIp((ip & mask) >>> 0)}/${prefixLength})`);
    return new ServiceIpRange(ip, prefixLength);
  }

  /** How many addresses can be handed out (network and broadcast excluded). */
  get size(): number {
    return this.sizeTotal - 2;
  }

  /** The first address that can be handed out: the `kubernetes` Service's (10.96.0.1 in 10.96.0.0/12). */
  get first(): string {
    return intToIp(this.network + 1);
  }

  /** True when `ip` is an IPv4 address that may be handed out from this range. */
  contains(ip: string): boolean {
    const n = ipToInt(ip);
    if (n === undefined) return false;
    const offset = n - this.network;
    return offset >= 1 && offset <= this.size;
  }

  /** The size of the band at the start of the range kept for user-chosen IPs (kube's calculateRangeOffset). */
  get staticBandSize(): number {
    const min = 16;
    const max = 256;
    if (this.size < min) return 0;
    return Math.max(min, Math.min(max, Math.floor(this.size / 16)));
  }

  /**
   * A free address, chosen at random outside the static band first, or undefined when the range
   * is full. `taken` holds addresses in dotted form. A few random probes find a free address at
   * once in a sparse range; a scan from a random start finds the last free ones of a full one.
   */
  pick(taken: ReadonlySet<string>, randomInt: RandomInt): string | undefined {
    const band = this.staticBandSize;
    // Offsets 1..size; the dynamic part is band+1..size, the static part 1..band.
    return (
      pickFromSpan(band + 1, this.size, taken, randomInt, (o) => intToIp(this.network + o)) ??
      pickFromSpan(1, band, taken, randomInt, (o) => intToIp(this.network + o))
    );
  }
}

/** Random probes, then a wrapping scan from a random offset, over offsets lo..hi (inclusive). */
export function pickFromSpan(lo: number, hi: number, taken: ReadonlySet<string>, randomInt: RandomInt, render: (offset: number) => string): string | undefined {
  const span = hi - lo + 1;
  if (span <= 0) return undefined;
  const PROBES = 8;
  for (let i = 0; i < PROBES; i++) {
    const candidate = render(lo + randomInt(span));
    if (!taken.has(candidate)) return candidate;
  }
  const start = randomInt(span);
  for (let i = 0; i < span; i++) {
    const candidate = render(lo + ((start + i) % span));
    if (!taken.has(candidate)) return candidate;
  }
  return undefined;
}

/** `10.96.0.1` → 0x0a600001; undefined for anything that is not a dotted-quad IPv4 address. */
export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const octet = Number(p);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}
