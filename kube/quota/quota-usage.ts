import { parseQuantityNanos } from '../quantity/quantity.js';
import { isPlainObject, type KubeObject } from '../object.js';
import { formatQuantity, isByteResource } from './quantity-format.js';

/**
 * What one object uses of a ResourceQuota (kube's quota evaluators, pkg/quota/v1/evaluator/core):
 * object counts (`pods`, `services`, `configmaps`…, and `count/<resource>[.<group>]` for any
 * kind), a pod's compute (`requests.cpu`, `limits.memory`…, `cpu`/`memory` meaning requests), a
 * claim's `requests.storage`, a service's `services.loadbalancers` and `services.nodeports`.
 * Shared by the ResourceQuota admission plugin (charging a create) and the resourcequota
 * controller (recounting a namespace). Amounts are nano-units (a count of 1 is 1e9), as
 * quantity.ts parses them, so counts and quantities add alike.
 */

export type Usage = Map<string, bigint>;

/** The kind an object is, as quota names it. */
export interface QuotaKind {
  readonly group: string;
  readonly plural: string;
}

const ONE = 10n ** 9n;

/** The kinds kube counts under their bare plural (its legacy object-count names). */
const LEGACY_COUNTED: ReadonlySet<string> = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
]);

const COMPUTE = ['cpu', 'memory', 'ephemeral-storage'] as const;

export function countResourceName(kind: QuotaKind): string {
  return kind.group === '' ? `count/${kind.plural}` : `count/${kind.plural}.${kind.group}`;
}

/** Whether a quota's resource name can be affected by objects of `kind` (which kinds the controller must count for it). */
export function resourceConcerns(resource: string, kind: QuotaKind): boolean {
  if (resource === countResourceName(kind)) return true;
  if (kind.group !== '') return false;
  if (resource === kind.plural && LEGACY_COUNTED.has(kind.plural)) return true;
  if (kind.plural === 'pods') return isPodCompute(resource);
  if (kind.plural === 'services') return resource === 'services.loadbalancers' || resource === 'services.nodeports';
  if (kind.plural === 'persistentvolumeclaims') return resource === 'requests.storage';
  return false;
}

function isPodCompute(resource: string): boolean {
  return COMPUTE.some((r) => resource === r || resource === `requests.${r}` || resource === `limits.${r}`);
}

/** Whether an object counts at all: terminal pods release their quota, as kube's pod evaluator says. */
export function counts(kind: QuotaKind, obj: KubeObject): boolean {
  if (kind.group === '' && kind.plural === 'pods') {
    const phase = (obj.status as { phase?: unknown } | undefined)?.phase;
    return phase !== 'Succeeded' && phase !== 'Failed';
  }
  return true;
}

/** Everything `obj` uses, by quota resource name. */
export function objectUsage(kind: QuotaKind, obj: KubeObject): Usage {
  const usage: Usage = new Map();
  if (!counts(kind, obj)) return usage;
  usage.set(countResourceName(kind), ONE);
  if (kind.group !== '') return usage;
  if (LEGACY_COUNTED.has(kind.plural)) usage.set(kind.plural, ONE);
  if (kind.plural === 'pods') addPodCompute(usage, obj);
  if (kind.plural === 'services') addServiceUsage(usage, obj);
  if (kind.plural === 'persistentvolumeclaims') {
    const storage = parseQuantityNanos(rec(rec(rec(obj.spec).resources).requests).storage);
    if (storage !== undefined) usage.set('requests.storage', storage);
  }
  return usage;
}

/** kube's PodUsageFunc: the sum over containers, or the largest init container if that is more. */
function addPodCompute(usage: Usage, pod: KubeObject): void {
  const spec = rec(pod.spec);
  for (const kind of ['requests', 'limits'] as const) {
    for (const r of COMPUTE) {
      let sum = 0n;
      let any = false;
      for (const c of list(spec.containers)) {
        const q = parseQuantityNanos(rec(rec(rec(c).resources)[kind])[r]);
        if (q !== undefined) {
          sum += q;
          any = true;
        }
      }
      for (const c of list(spec.initContainers)) {
        const q = parseQuantityNanos(rec(rec(rec(c).resources)[kind])[r]);
        if (q !== undefined) {
          if (q > sum) sum = q;
          any = true;
        }
      }
      if (!any) continue;
      usage.set(`${kind}.${r}`, sum);
      if (kind === 'requests') usage.set(r, sum);
    }
  }
}

function addServiceUsage(usage: Usage, svc: KubeObject): void {
  const spec = rec(svc.spec);
  const type = spec.type;
  if (type === 'LoadBalancer') usage.set('services.loadbalancers', ONE);
  if (type === 'NodePort' || type === 'LoadBalancer') usage.set('services.nodeports', BigInt(list(spec.ports).length) * ONE);
}

/**
 * The resources a pod must declare for a quota that tracks them (kube's pod evaluator
 * Constraints): for each of `requests.cpu`… tracked in `hard`, the containers lacking it.
 */
export function missingComputeDeclarations(pod: KubeObject, hard: Iterable<string>): Map<string, string[]> {
  const missing = new Map<string, string[]>();
  const spec = rec(pod.spec);
  const containers = [...list(spec.initContainers), ...list(spec.containers)].map(rec);
  for (const resource of hard) {
    const m =
      /^(requests|limits)\.(cpu|memory)$/.exec(resource) ?? (resource === 'cpu' || resource === 'memory' ? [resource, 'requests', resource] : undefined);
    if (!m) continue;
    const [, kind = '', r = ''] = m;
    const lacking = containers.filter((c) => parseQuantityNanos(rec(rec(c.resources)[kind])[r]) === undefined).map((c) => String(c.name ?? ''));
    if (lacking.length > 0) missing.set(resource, lacking);
  }
  return missing;
}

/** A ResourceList (`{pods: "2", "requests.cpu": "500m"}`) as amounts; unparsable entries are left out. */
export function parseResourceList(v: unknown): Usage {
  const out: Usage = new Map();
  for (const [k, q] of Object.entries(rec(v))) {
    const n = parseQuantityNanos(q);
    if (n !== undefined) out.set(k, n);
  }
  return out;
}

/** Amounts back to a ResourceList of canonical quantity strings, keys sorted. */
export function toResourceList(usage: Usage): Record<string, string> {
  return Object.fromEntries([...usage.keys()].sort().map((k) => [k, formatQuantity(usage.get(k) ?? 0n, isByteResource(k))]));
}

/** `pods=1,requests.cpu=500m` (kube's prettyPrint of a ResourceList: sorted `k=v`, comma-joined) for the given keys. */
export function prettyPrint(usage: Usage, keys: readonly string[]): string {
  return [...keys]
    .sort()
    .map((k) => `${k}=${formatQuantity(usage.get(k) ?? 0n, isByteResource(k))}`)
    .join(',');
}

function rec(v: unknown): Record<string, unknown> {
  return isPlainObject(v) ? v : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}
