import { isPlainObject } from '../../kube/object.js';
import type { ResourceList } from './types.js';

/**
 * Resource quantities as the scheduler counts them (kube's framework.Resource): CPU in
 * millicores, memory and ephemeral storage in bytes, extended resources (`nvidia.com/gpu`,
 * `hugepages-2Mi`) in their units, each rounded up as resource.Quantity's MilliValue()/Value()
 * round. Plain numbers: exact up to 2^53, which covers any real node.
 */
export interface ResourceVector {
  milliCpu: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended, hugepages and other prefixed resources; undefined while there are none. */
  scalars: Map<string, number> | undefined;
}

export function emptyResources(): ResourceVector {
  return { milliCpu: 0, memory: 0, ephemeralStorage: 0, scalars: undefined };
}

/** What a container without a CPU request counts as when nodes are scored (schedutil.DefaultMilliCPURequest). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** What a container without a memory request counts as when nodes are scored: 200 MB (schedutil.DefaultMemoryRequest). */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const quantityRe = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:([eE][+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;
const DECIMAL: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Parsed quantities by text; the same few strings ("100m", "1Gi") come back for every pod. */
const parsedCache = new Map<string, number | null>();
const PARSED_CACHE_MAX = 4096;

/**
 * A quantity in units × 10^`scale10` (scale10 = 3 gives millis), rounded up; undefined when `v`
 * is not a quantity. Negative quantities read as 0: requests and capacities cannot be negative.
 */
function parseScaled(v: unknown, scale10: number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? parseExact(String(v), scale10) : undefined;
  if (typeof v !== 'string' || v.length > 64) return undefined;
  const cacheKey = `${scale10}:${v}`;
  const cached = parsedCache.get(cacheKey);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parseExact(v, scale10);
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
  parsedCache.set(cacheKey, parsed ?? null);
  return parsed;
}

function parseExact(s: string, scale10: number): number | undefined {
  const m = quantityRe.exec(s);
  if (!m) return undefined;
  const [, sign = '', whole = '', frac = '', exp = '', suffix = ''] = m;
  if (whole === '' && frac === '') return undefined;
  let exp10 = scale10 - frac.length;
  let exp2 = 0;
  if (exp !== '') {
    const e = Number(exp.slice(1));
    if (Math.abs(e) > 40) return undefined;
    exp10 += e;
  } else if (suffix !== '') {
    const binary = BINARY[suffix];
    if (binary !== undefined) exp2 = binary;
    else exp10 += DECIMAL[suffix] ?? 0;
  }
  let num = BigInt(`${whole || '0'}${frac}`) * 2n ** BigInt(exp2);
  if (exp10 >= 0) {
    num *= 10n ** BigInt(exp10);
  } else {
    const den = 10n ** BigInt(-exp10);
    num = num % den === 0n ? num / den : num / den + 1n;
  }
  if (sign === '-') return 0;
  return Number(num);
}

/** CPU-style: the quantity in thousandths, rounded up (`"100m"` → 100, `"2"` → 2000). */
export function quantityMilli(v: unknown): number | undefined {
  return parseScaled(v, 3);
}

/** Memory-style: the quantity in units, rounded up (`"128Mi"` → 134217728, `"1G"` → 1e9). */
export function quantityValue(v: unknown): number | undefined {
  return parseScaled(v, 0);
}

/**
 * Whether a resource name is counted as a scalar (extended resources like `example.com/foo`,
 * `hugepages-*`, `attachable-volumes-*`, prefixed native ones): schedutil.IsScalarResourceName.
 */
export function isScalarResourceName(name: string): boolean {
  return name.includes('/') || name.startsWith('hugepages-') || name.startsWith('attachable-volumes-');
}

/** Add a ResourceList to a vector. Unknown names (and `pods`) are ignored; bad quantities count as 0. */
export function addResourceList(target: ResourceVector, list: unknown): void {
  if (!isPlainObject(list)) return;
  for (const [name, q] of Object.entries(list)) {
    switch (name) {
      case 'cpu':
        target.milliCpu += quantityMilli(q) ?? 0;
        break;
      case 'memory':
        target.memory += quantityValue(q) ?? 0;
        break;
      case 'ephemeral-storage':
        target.ephemeralStorage += quantityValue(q) ?? 0;
        break;
      default:
        if (isScalarResourceName(name)) {
          const value = quantityValue(q) ?? 0;
          target.scalars ??= new Map();
          target.scalars.set(name, (target.scalars.get(name) ?? 0) + value);
        }
    }
  }
}

export function addResources(target: ResourceVector, v: ResourceVector): void {
  target.milliCpu += v.milliCpu;
  target.memory += v.memory;
  target.ephemeralStorage += v.ephemeralStorage;
  if (v.scalars) {
    target.scalars ??= new Map();
    for (const [k, q] of v.scalars) target.scalars.set(k, (target.scalars.get(k) ?? 0) + q);
  }
}

export function subtractResources(target: ResourceVector, v: ResourceVector): void {
  target.milliCpu -= v.milliCpu;
  target.memory -= v.memory;
  target.ephemeralStorage -= v.ephemeralStorage;
  if (v.scalars && target.scalars) {
    for (const [k, q] of v.scalars) target.scalars.set(k, (target.scalars.get(k) ?? 0) - q);
  }
}

/** Raise each dimension of `target` to at least `v`'s. */
export function maxResources(target: ResourceVector, v: ResourceVector): void {
  target.milliCpu = Math.max(target.milliCpu, v.milliCpu);
  target.memory = Math.max(target.memory, v.memory);
  target.ephemeralStorage = Math.max(target.ephemeralStorage, v.ephemeralStorage);
  if (v.scalars) {
    target.scalars ??= new Map();
    for (const [k, q] of v.scalars) target.scalars.set(k, Math.max(target.scalars.get(k) ?? 0, q));
  }
}

export function cloneResources(v: ResourceVector): ResourceVector {
  return { milliCpu: v.milliCpu, memory: v.memory, ephemeralStorage: v.ephemeralStorage, scalars: v.scalars ? new Map(v.scalars) : undefined };
}

export function isZeroResources(v: ResourceVector): boolean {
  if (v.milliCpu !== 0 || v.memory !== 0 || v.ephemeralStorage !== 0) return false;
  if (v.scalars) for (const q of v.scalars.values()) if (q !== 0) return false;
  return true;
}

/** What a pod asks of a node: its requests, and the non-zero CPU/memory used for scoring. */
export interface PodRequests {
  readonly requests: ResourceVector;
  readonly nonZeroMilliCpu: number;
  readonly nonZeroMemory: number;
}

interface ContainerRequests {
  readonly requests: ResourceVector;
  readonly nonZero: ResourceVector;
  readonly sidecar: boolean;
}

function containerRequests(c: unknown, init: boolean): ContainerRequests {
  const requests = emptyResources();
  const nonZero = emptyResources();
  const resources = isPlainObject(c) && isPlainObject(c.resources) ? c.resources : undefined;
  const list = resources && isPlainObject(resources.requests) ? resources.requests : undefined;
  addResourceList(requests, list);
  nonZero.milliCpu = list && 'cpu' in list ? requests.milliCpu : DEFAULT_MILLI_CPU_REQUEST;
  nonZero.memory = list && 'memory' in list ? requests.memory : DEFAULT_MEMORY_REQUEST;
  const sidecar = init && isPlainObject(c) && c.restartPolicy === 'Always';
  return { requests, nonZero, sidecar };
}

/**
 * The pod's effective requests (kube's resource.PodRequests): the sum of its containers, raised
 * to what any init container needs while it runs (with the sidecars started before it), plus
 * the pod overhead. The non-zero variant counts a container without a CPU or memory request as
 * 100m / 200 MB, so that pods without requests do not all land on one node.
 */
export function computePodRequests(spec: unknown): PodRequests {
  const s = isPlainObject(spec) ? spec : {};
  const containers = Array.isArray(s.containers) ? s.containers : [];
  const initContainers = Array.isArray(s.initContainers) ? s.initContainers : [];
  const sum = emptyResources();
  const sumNonZero = emptyResources();
  for (const c of containers) {
    const r = containerRequests(c, false);
    addResources(sum, r.requests);
    addResources(sumNonZero, r.nonZero);
  }
  const sidecars = emptyResources();
  const sidecarsNonZero = emptyResources();
  const initMax = emptyResources();
  const initMaxNonZero = emptyResources();
  for (const c of initContainers) {
    const r = containerRequests(c, true);
    if (r.sidecar) {
      addResources(sum, r.requests);
      addResources(sumNonZero, r.nonZero);
      addResources(sidecars, r.requests);
      addResources(sidecarsNonZero, r.nonZero);
      maxResources(initMax, sidecars);
      maxResources(initMaxNonZero, sidecarsNonZero);
    } else {
      const running = cloneResources(r.requests);
      addResources(running, sidecars);
      const runningNonZero = cloneResources(r.nonZero);
      addResources(runningNonZero, sidecarsNonZero);
      maxResources(initMax, running);
      maxResources(initMaxNonZero, runningNonZero);
    }
  }
  maxResources(sum, initMax);
  maxResources(sumNonZero, initMaxNonZero);
  const overhead = emptyResources();
  addResourceList(overhead, s.overhead);
  addResources(sum, overhead);
  addResources(sumNonZero, overhead);
  return { requests: sum, nonZeroMilliCpu: sumNonZero.milliCpu, nonZeroMemory: sumNonZero.memory };
}

/** A node's allocatable resources; `pods` is how many pods it takes. */
export interface Allocatable extends ResourceVector {
  pods: number;
}

/** Parse `status.allocatable` (falling back to `status.capacity` when a node reports none). */
export function parseAllocatable(list: ResourceList | undefined): Allocatable {
  const out: Allocatable = { ...emptyResources(), pods: 0 };
  addResourceList(out, list);
  const pods = list ? quantityValue(list.pods) : undefined;
  out.pods = pods ?? 0;
  return out;
}
