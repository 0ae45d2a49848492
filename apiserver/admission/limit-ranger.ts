import type { KubeObject } from '../../kube/object.js';
import { formatQuantity, isByteResource } from '../../kube/quota/quantity-format.js';
import { list, rec } from '../registry/kinds/json.js';
import { parseQuantityNanos } from '../../kube/quantity/quantity.js';
import { forbidden } from '../status.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission-types.js';

/**
 * kube's LimitRanger admission plugin (plugin/pkg/admission/limitranger), for pods on create:
 * - mutating: each container (and init container) without a limit gets the `default` of the
 *   namespace's LimitRanges of type Container, and without a request the `defaultRequest` (or,
 *   as kube's pod defaulting has already copied it there, its own limit); the pod is annotated
 *   `kubernetes.io/limit-ranger` with what was set;
 * - validating: every container stays within `min`/`max` and `maxLimitRequestRatio` of type
 *   Container, and the pod's totals within those of type Pod; otherwise 403
 *   `pods "x" is forbidden: maximum cpu usage per Container is 1, but limit is 2`.
 */

const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

type ResourceMap = Record<string, unknown>;

interface ContainerResources {
  readonly name: string;
  readonly requests: ResourceMap;
  readonly limits: ResourceMap;
}

/** The LimitRanges read in the mutating phase, reused by the validating phase of the same request. */
const rangesByRequest = new WeakMap<AdmissionRequest, readonly KubeObject[]>();

export const limitRangerPlugin: AdmissionPlugin = {
  name: 'LimitRanger',
  async admit(req: AdmissionRequest): Promise<void> {
    if (!appliesTo(req) || !req.object) return;
    const ranges = await limitRangesOf(req);
    if (ranges.length === 0) return;
    const set = applyDefaults(req.object, limitItems(ranges, 'Container'));
    if (set.length > 0) {
      const meta = req.object.metadata;
      meta.annotations = { ...(meta.annotations ?? {}), [LIMIT_RANGER_ANNOTATION]: `LimitRanger plugin set: ${set.join('; ')}` };
    }
  },
  async validate(req: AdmissionRequest): Promise<void> {
    if (!appliesTo(req) || !req.object) return;
    const ranges = await limitRangesOf(req);
    const errors = [...checkContainers(req.object, limitItems(ranges, 'Container')), ...checkPod(req.object, limitItems(ranges, 'Pod'))];
    if (errors.length === 0) return;
    // apimachinery's NewAggregate: one error as is, several as `[a, b]`.
    throw forbidden(req.def, req.name, errors.length === 1 ? (errors[0] as string) : `[${errors.join(', ')}]`);
  },
};

function appliesTo(req: AdmissionRequest): boolean {
  return req.operation === 'CREATE' && req.subresource === '' && req.def.group === '' && req.def.plural === 'pods';
}

async function limitRangesOf(req: AdmissionRequest): Promise<readonly KubeObject[]> {
  const known = rangesByRequest.get(req);
  if (known) return known;
  const def = req.ctx.registry.byKind('', 'LimitRange');
  const ranges = def ? (await req.ctx.objects.list(def, { namespace: req.namespace })).items : [];
  rangesByRequest.set(req, ranges);
  return ranges;
}

function limitItems(ranges: readonly KubeObject[], type: string): Record<string, unknown>[] {
  return ranges.flatMap((lr) => list(rec(lr.spec).limits).map(rec)).filter((it) => it.type === type);
}

function containersOf(pod: KubeObject): Record<string, unknown>[] {
  const spec = rec(pod.spec);
  return [...list(spec.initContainers), ...list(spec.containers)].filter(
    (c): c is Record<string, unknown> => typeof c === 'object' && c !== null && !Array.isArray(c),
  );
}

function resourcesOf(c: Record<string, unknown>): ContainerResources {
  const res = rec(c.resources);
  return { name: String(c.name ?? ''), requests: rec(res.requests), limits: rec(res.limits) };
}

/** Sets missing limits and requests from the items' defaults; returns what it set, kube's annotation phrases. */
function applyDefaults(pod: KubeObject, items: readonly Record<string, unknown>[]): string[] {
  const set: string[] = [];
  const defaultLimits: ResourceMap = {};
  const defaultRequests: ResourceMap = {};
  for (const it of items) {
    for (const [k, v] of Object.entries(rec(it.default))) if (!(k in defaultLimits)) defaultLimits[k] = v;
    for (const [k, v] of Object.entries(rec(it.defaultRequest))) if (!(k in defaultRequests)) defaultRequests[k] = v;
  }
  for (const c of containersOf(pod)) {
    const res = { ...rec(c.resources) };
    const limits = { ...rec(res.limits) };
    const requests = { ...rec(res.requests) };
    const name = String(c.name ?? '');
    for (const [k, v] of Object.entries(defaultLimits)) {
      if (k in limits) continue;
      limits[k] = v;
      set.push(`${k} limit for container ${name}`);
    }
    for (const [k, v] of Object.entries(defaultRequests)) {
      if (k in requests) continue;
      // kube's pod defaulting copied an explicit limit into the request before admission ran.
      requests[k] = k in rec(rec(c.resources).limits) ? rec(rec(c.resources).limits)[k] : v;
      set.push(`${k} request for container ${name}`);
    }
    if (Object.keys(limits).length > 0) res.limits = limits;
    if (Object.keys(requests).length > 0) res.requests = requests;
    c.resources = res;
  }
  return set;
}

function checkContainers(pod: KubeObject, items: readonly Record<string, unknown>[]): string[] {
  const errors: string[] = [];
  for (const c of containersOf(pod).map(resourcesOf)) {
    for (const it of items) errors.push(...checkItem('Container', it, c.requests, c.limits));
  }
  return errors;
}

/** Type Pod bounds the sums over the pod's containers. */
function checkPod(pod: KubeObject, items: readonly Record<string, unknown>[]): string[] {
  if (items.length === 0) return [];
  const requests: Record<string, bigint> = {};
  const limits: Record<string, bigint> = {};
  const missingLimit = new Set<string>();
  const missingRequest = new Set<string>();
  const containers = containersOf(pod).map(resourcesOf);
  const names = new Set(containers.flatMap((c) => [...Object.keys(c.requests), ...Object.keys(c.limits)]));
  for (const k of names) {
    for (const c of containers) {
      const r = parseQuantityNanos(c.requests[k]);
      const l = parseQuantityNanos(c.limits[k]);
      if (r === undefined) missingRequest.add(k);
      else requests[k] = (requests[k] ?? 0n) + r;
      if (l === undefined) missingLimit.add(k);
      else limits[k] = (limits[k] ?? 0n) + l;
    }
  }
  const asText = (m: Record<string, bigint>, missing: Set<string>): ResourceMap =>
    Object.fromEntries(
      Object.entries(m)
        .filter(([k]) => !missing.has(k))
        .map(([k, v]) => [k, formatQuantity(v, isByteResource(k))]),
    );
  return items.flatMap((it) => checkItem('Pod', it, asText(requests, missingRequest), asText(limits, missingLimit)));
}

/** kube's minConstraint, maxConstraint and limitRequestRatioConstraint for one LimitRange item. */
function checkItem(type: string, it: Record<string, unknown>, requests: ResourceMap, limits: ResourceMap): string[] {
  const errors: string[] = [];
  for (const [k, minText] of Object.entries(rec(it.min))) {
    const min = parseQuantityNanos(minText);
    if (min === undefined) continue;
    const req = parseQuantityNanos(requests[k]);
    const lim = parseQuantityNanos(limits[k]);
    if (req === undefined) errors.push(`minimum ${k} usage per ${type} is ${String(minText)}.  No request is specified`);
    else if (req < min) errors.push(`minimum ${k} usage per ${type} is ${String(minText)}, but request is ${String(requests[k])}`);
    else if (lim !== undefined && lim < min) errors.push(`minimum ${k} usage per ${type} is ${String(minText)}, but limit is ${String(limits[k])}`);
  }
  for (const [k, maxText] of Object.entries(rec(it.max))) {
    const max = parseQuantityNanos(maxText);
    if (max === undefined) continue;
    const req = parseQuantityNanos(requests[k]);
    const lim = parseQuantityNanos(limits[k]);
    if (lim === undefined) errors.push(`maximum ${k} usage per ${type} is ${String(maxText)}.  No limit is specified`);
    else if (lim > max) errors.push(`maximum ${k} usage per ${type} is ${String(maxText)}, but limit is ${String(limits[k])}`);
    else if (req !== undefined && req > max) errors.push(`maximum ${k} usage per ${type} is ${String(maxText)}, but request is ${String(requests[k])}`);
  }
  for (const [k, ratioText] of Object.entries(rec(it.maxLimitRequestRatio))) {
    const ratio = parseQuantityNanos(ratioText);
    const req = parseQuantityNanos(requests[k]);
    const lim = parseQuantityNanos(limits[k]);
    if (ratio === undefined) continue;
    if (req === undefined || req === 0n) {
      errors.push(`${k} max limit to request ratio per ${type} is ${String(ratioText)}, but no request is specified or request is 0`);
      continue;
    }
    if (lim === undefined || lim === 0n) {
      errors.push(`${k} max limit to request ratio per ${type} is ${String(ratioText)}, but no limit is specified or limit is 0`);
      continue;
    }
    // Compared exactly (lim / req > ratio ⇔ lim * 1e9 > ratio * req); printed as Go's %f.
    if (lim * 10n ** 9n > ratio * req)
      errors.push(`${k} max limit to request ratio per ${type} is ${String(ratioText)}, but provided ratio is ${(Number(lim) / Number(req)).toFixed(6)}`);
  }
  return errors;
}
