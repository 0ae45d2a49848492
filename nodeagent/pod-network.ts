/**
 * Pod addresses: each node owns a /24 (as kube-controller-manager's node IPAM hands out from
 * 10.244.0.0/16 with `--allocate-node-cidrs`, flannel's default), written into the Node's
 * `spec.podCIDR` when the agent registers it; pods get addresses from it as the host-local IPAM
 * plugin gives them: round-robin from .2 (.1 is the bridge), so a freed address is not reused at
 * once. picokube has no node IPAM controller, so the agent picks the block itself, from the number
 * its name ends with (`node-3` → 10.244.3.0/24), else from a hash of the name. Pure.
 */

/** The block of the n-th node: 10.244.n.0/24 for n < 3072 (10.244.0.0 – 10.255.255.0), then on through 10.0.0.0/8. */
export function podCidrForIndex(n: number): string {
  const block = (244 * 256 + Math.max(0, Math.trunc(n))) % 65536;
  return `10.${block >> 8}.${block & 255}.0/24`;
}

/** The number a node name ends with (`sim-0042` → 42), else a stable hash of the name in 0..4095. */
export function nodeIndexFromName(name: string): number {
  const m = /(\d+)$/.exec(name);
  if (m?.[1] !== undefined && m[1].length <= 9) return Number(m[1]);
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0;
  return h % 4096;
}

/** The /24 a CIDR string names, when it is one (`10.244.3.0/24` → `10.244.3`); else undefined. */
export function parseSlash24(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/.exec(cidr);
  if (!m) return undefined;
  const octets = [m[1], m[2], m[3]].map(Number);
  return octets.every((o) => o <= 255) ? octets.join('.') : undefined;
}

const FIRST_HOST = 2;
const LAST_HOST = 254;

/** Addresses of one node's /24, by pod uid. */
export class PodIpAllocator {
  private readonly byUid = new Map<string, number>();
  private readonly used = new Set<number>();
  private cursor = FIRST_HOST - 1;

  constructor(private readonly prefix: string) {}

  static forCidr(cidr: string): PodIpAllocator {
    return new PodIpAllocator(parseSlash24(cidr) ?? '10.244.0');
  }

  get cidr(): string {
    return `${this.prefix}.0/24`;
  }

  /**
   * The address of a pod: the one it has, else `preferred` when it is in the block and free
   * (a pod the API shows with an IP, adopted after an agent restart), else the next free one
   * after the last given. Undefined when the block is full.
   */
  allocate(uid: string, preferred?: string): string | undefined {
    const have = this.byUid.get(uid);
    if (have !== undefined) return this.address(have);
    const want = preferred === undefined ? undefined : this.hostOf(preferred);
    if (want !== undefined && !this.used.has(want)) return this.take(uid, want);
    for (let i = 0; i < LAST_HOST - FIRST_HOST + 1; i++) {
      const host = FIRST_HOST + ((this.cursor + 1 - FIRST_HOST + i) % (LAST_HOST - FIRST_HOST + 1));
      if (!this.used.has(host)) {
        this.cursor = host;
        return this.take(uid, host);
      }
    }
    return undefined;
  }

  release(uid: string): void {
    const host = this.byUid.get(uid);
    if (host === undefined) return;
    this.byUid.delete(uid);
    this.used.delete(host);
  }

  get size(): number {
    return this.used.size;
  }

  private take(uid: string, host: number): string {
    this.byUid.set(uid, host);
    this.used.add(host);
    return this.address(host);
  }

  private address(host: number): string {
    return `${this.prefix}.${host}`;
  }

  private hostOf(ip: string): number | undefined {
    if (!ip.startsWith(`${this.prefix}.`)) return undefined;
    const host = Number(ip.slice(this.prefix.length + 1));
    return Number.isInteger(host) && host >= FIRST_HOST && host <= LAST_HOST ? host : undefined;
  }
}
