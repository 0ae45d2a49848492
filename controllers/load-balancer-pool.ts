/**
 * The simulated load balancer's address pool (MetalLB's `addresses` in spirit): a comma-separated
 * list of single IPv4 addresses, `first-last` ranges and CIDRs (network and broadcast included,
 * as MetalLB does by default; there is no real network behind them). Pure; picks are
 * deterministic, lowest free first, so a test knows which address comes next.
 */

export const LOAD_BALANCER_IP_POOL_DEFAULT = '172.18.255.200-172.18.255.250';

/** Pools larger than this are refused: the pool is held as a list. */
const POOL_SIZE_MAX = 65536;

function ipToInt(ip: string): number | undefined {
  const parts = ip.trim().split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export class LoadBalancerPool {
  private readonly addresses: readonly string[];
  private readonly members: ReadonlySet<string>;

  private constructor(addresses: string[]) {
    this.addresses = addresses;
    this.members = new Set(addresses);
  }

  /** Throws an Error naming the bad entry. */
  static parse(text: string): LoadBalancerPool {
    const out: string[] = [];
    for (const raw of text.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      let lo: number | undefined;
      let hi: number | undefined;
      const cidr = /^([^/]+)\/(\d{1,2})$/.exec(entry);
      const range = /^([^-]+)-([^-]+)$/.exec(entry);
      if (cidr?.[1] && cidr[2] !== undefined && Number(cidr[2]) <= 32) {
        const base = ipToInt(cidr[1]);
        const size = 2 ** (32 - Number(cidr[2]));
        if (base !== undefined && base % size === 0) [lo, hi] = [base, base + size - 1];
      } else if (range?.[1] && range[2]) {
        [lo, hi] = [ipToInt(range[1]), ipToInt(range[2])];
      } else {
        lo = hi = ipToInt(entry);
      }
      if (lo === undefined || hi === undefined || hi < lo)
        throw new Error(`invalid load balancer IP pool entry "${entry}": want an IPv4 address, a first-last range or a CIDR`);
      if (out.length + (hi - lo + 1) > POOL_SIZE_MAX) throw new Error(`the load balancer IP pool holds more than ${POOL_SIZE_MAX} addresses`);
      for (let n = lo; n <= hi; n++) out.push(intToIp(n));
    }
    if (out.length === 0) throw new Error('the load balancer IP pool is empty');
    return new LoadBalancerPool([...new Set(out)]);
  }

  get size(): number {
    return this.addresses.length;
  }

  contains(ip: string): boolean {
    return this.members.has(ip);
  }

  /** `wanted` if it is in the pool and free, else the lowest free address; undefined when none fits. */
  pick(inUse: ReadonlySet<string>, wanted?: string): string | undefined {
    if (wanted !== undefined && wanted !== '') return this.contains(wanted) && !inUse.has(wanted) ? wanted : undefined;
    return this.addresses.find((a) => !inUse.has(a));
  }
}
