import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from '../kube/object.js';
import {
  belongsInEndpoints,
  compareIPs,
  type EndpointPort,
  endpointPortsFor,
  isTerminating,
  podIP,
  podIsReady,
  portsKey,
  type ServiceView,
  selects,
} from './endpoint-ports.js';

/**
 * What the EndpointSlice controller writes for one Service (kube's endpointslice reconciler),
 * pure: the endpoints of the selected pods grouped by the ports they expose, at most
 * `ENDPOINTS_PER_SLICE_MAX` per slice. Endpoints stay in the slice that already holds them and
 * new ones fill the room left in existing slices before new slices are made, so a scale-up or a
 * pod turning ready rewrites one slice, not all. A Service with no endpoints keeps one empty
 * placeholder slice, as kube does.
 */

export const ENDPOINTS_PER_SLICE_MAX = 100;
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';

export interface SliceEndpoint {
  readonly addresses: string[];
  readonly conditions: { readonly ready: boolean; readonly serving: boolean; readonly terminating: boolean };
  readonly hostname?: string;
  readonly nodeName?: string;
  readonly targetRef: { readonly kind: 'Pod'; readonly namespace: string; readonly name: string; readonly uid: string };
}

export interface SlicePlan {
  /** Existing slices (by name) with the endpoints and ports they are to hold; only those that change. */
  readonly update: { name: string; endpoints: SliceEndpoint[]; ports: EndpointPort[] }[];
  readonly create: { endpoints: SliceEndpoint[]; ports: EndpointPort[] }[];
  readonly delete: string[];
}

export function sliceEndpoint(pod: KubeObject, view: ServiceView, svcName: string): SliceEndpoint {
  const spec = (pod.spec ?? {}) as { nodeName?: unknown; hostname?: unknown; subdomain?: unknown };
  const terminating = isTerminating(pod);
  const serving = view.publishNotReadyAddresses || podIsReady(pod);
  const hostname = typeof spec.hostname === 'string' && spec.hostname !== '' && spec.subdomain === svcName ? spec.hostname : undefined;
  return {
    addresses: [podIP(pod)],
    conditions: { ready: serving && (!terminating || view.publishNotReadyAddresses), serving, terminating },
    ...(hostname !== undefined ? { hostname } : {}),
    ...(typeof spec.nodeName === 'string' && spec.nodeName !== '' ? { nodeName: spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  };
}

interface Group {
  readonly ports: EndpointPort[];
  readonly endpoints: Map<string, SliceEndpoint>;
}

/** Desired endpoints by ports key, each keyed by the pod's uid. */
export function desiredGroups(view: ServiceView, svcName: string, pods: readonly KubeObject[]): Map<string, Group> {
  const groups = new Map<string, Group>();
  const headlessWithoutPorts = view.ports.length === 0 && view.clusterIP === 'None';
  for (const pod of pods) {
    if (!selects(view, pod) || !belongsInEndpoints(pod, true)) continue;
    const ports = endpointPortsFor(view, pod);
    if (ports.length === 0 && !headlessWithoutPorts) continue;
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports, endpoints: new Map() };
      groups.set(key, g);
    }
    g.endpoints.set(pod.metadata.uid ?? pod.metadata.name ?? '', sliceEndpoint(pod, view, svcName));
  }
  return groups;
}

function slicePorts(slice: KubeObject): EndpointPort[] {
  return (Array.isArray(slice.ports) ? slice.ports : []) as EndpointPort[];
}

function sliceEndpoints(slice: KubeObject): SliceEndpoint[] {
  return (Array.isArray(slice.endpoints) ? slice.endpoints : []) as SliceEndpoint[];
}

function byAddress(a: SliceEndpoint, b: SliceEndpoint): number {
  return compareIPs(a.addresses[0] ?? '', b.addresses[0] ?? '');
}

function uidOf(e: SliceEndpoint): string {
  return e.targetRef?.uid ?? '';
}

export function planSlices(existing: readonly KubeObject[], groups: ReadonlyMap<string, Group>, perSliceMax = ENDPOINTS_PER_SLICE_MAX): SlicePlan {
  const plan: SlicePlan = { update: [], create: [], delete: [] };
  const sorted = [...existing].sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  const used = new Set<string>();
  for (const [key, group] of groups) {
    const remaining = new Map(group.endpoints);
    const mine = sorted.filter((s) => portsKey(slicePorts(s)) === key);
    const contents = mine.map((s) => {
      const kept: SliceEndpoint[] = [];
      for (const e of sliceEndpoints(s)) {
        const want = remaining.get(uidOf(e));
        if (want && kept.length < perSliceMax) {
          kept.push(want);
          remaining.delete(uidOf(e));
        }
      }
      return { slice: s, endpoints: kept };
    });
    const rest = [...remaining.values()].sort(byAddress);
    for (const c of contents) while (c.endpoints.length < perSliceMax && rest.length > 0) c.endpoints.push(rest.shift() as SliceEndpoint);
    for (const c of contents) {
      const name = c.slice.metadata.name ?? '';
      used.add(name);
      if (c.endpoints.length === 0) {
        plan.delete.push(name);
        continue;
      }
      c.endpoints.sort(byAddress);
      if (!isDeepStrictEqual(sliceEndpoints(c.slice), c.endpoints) || !isDeepStrictEqual(slicePorts(c.slice), group.ports)) {
        plan.update.push({ name, endpoints: c.endpoints, ports: group.ports });
      }
    }
    for (let i = 0; i < rest.length; i += perSliceMax) plan.create.push({ endpoints: rest.slice(i, i + perSliceMax), ports: group.ports });
  }
  for (const s of sorted) if (!used.has(s.metadata.name ?? '')) plan.delete.push(s.metadata.name ?? '');
  if (groups.size === 0) {
    // The placeholder: one slice with no endpoints and no ports.
    const keep = sorted[0];
    if (!keep) plan.create.push({ endpoints: [], ports: [] });
    else {
      plan.delete.splice(plan.delete.indexOf(keep.metadata.name ?? ''), 1);
      if (sliceEndpoints(keep).length > 0 || slicePorts(keep).length > 0) plan.update.push({ name: keep.metadata.name ?? '', endpoints: [], ports: [] });
    }
  }
  return plan;
}
