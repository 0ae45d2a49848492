import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isNotFound } from '../kube/client/api-client.js';
import { objectKey, Resources, splitKey } from '../kube/client/resource.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import {
  belongsInEndpoints,
  compareIPs,
  type EndpointPort,
  endpointPortsFor,
  managesEndpoints,
  podIP,
  podIsReady,
  portsKey,
  type ServiceView,
  selects,
  serviceView,
  servicesSelecting,
} from './endpoint-ports.js';

/**
 * The Endpoints controller (kube's pkg/controller/endpoint, `endpoint` in --controllers): for
 * every Service with a selector, an Endpoints object of the same name whose subsets list the IPs
 * of the selected pods (ready ones under `addresses`, the others under `notReadyAddresses`,
 * every one under `addresses` with `publishNotReadyAddresses`) with the ports the Service's
 * targetPorts resolve to on them. Pods exposing different ports (a named targetPort declared
 * differently) land in different subsets. A Service without a selector keeps the Endpoints its
 * user writes; a deleted Service's Endpoints are deleted.
 */

export const HEADLESS_LABEL = 'service.kubernetes.io/headless';

export interface EndpointAddress {
  readonly ip: string;
  readonly hostname?: string;
  readonly nodeName?: string;
  readonly targetRef: { readonly kind: 'Pod'; readonly namespace: string; readonly name: string; readonly uid: string };
}

export interface EndpointSubset {
  readonly addresses?: EndpointAddress[];
  readonly notReadyAddresses?: EndpointAddress[];
  readonly ports?: Array<{ name?: string; port: number; protocol: string; appProtocol?: string }>;
}

function addressOf(pod: KubeObject, svcName: string): EndpointAddress {
  const spec = (pod.spec ?? {}) as { nodeName?: unknown; hostname?: unknown; subdomain?: unknown };
  // A pod's hostname is published when its subdomain names this Service (kube's DNS contract).
  const hostname = typeof spec.hostname === 'string' && spec.hostname !== '' && spec.subdomain === svcName ? spec.hostname : undefined;
  return {
    ip: podIP(pod),
    ...(hostname !== undefined ? { hostname } : {}),
    ...(typeof spec.nodeName === 'string' && spec.nodeName !== '' ? { nodeName: spec.nodeName } : {}),
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '', uid: pod.metadata.uid ?? '' },
  };
}

function byIP(a: EndpointAddress, b: EndpointAddress): number {
  return compareIPs(a.ip, b.ip) || (a.targetRef.uid < b.targetRef.uid ? -1 : a.targetRef.uid > b.targetRef.uid ? 1 : 0);
}

/**
 * The subsets for a Service and its namespace's pods (pure). Subsets are ordered by their ports,
 * addresses by IP, so that the same world always gives the same object (no needless writes).
 */
export function desiredSubsets(svcName: string, view: ServiceView, pods: readonly KubeObject[]): EndpointSubset[] {
  const groups = new Map<string, { ports: EndpointPort[]; ready: EndpointAddress[]; notReady: EndpointAddress[] }>();
  const headlessWithoutPorts = view.ports.length === 0 && view.clusterIP === 'None';
  for (const pod of pods) {
    if (!selects(view, pod) || !belongsInEndpoints(pod, view.publishNotReadyAddresses)) continue;
    const ports = endpointPortsFor(view, pod);
    if (ports.length === 0 && !headlessWithoutPorts) continue;
    const key = portsKey(ports);
    let g = groups.get(key);
    if (!g) {
      g = { ports, ready: [], notReady: [] };
      groups.set(key, g);
    }
    (view.publishNotReadyAddresses || podIsReady(pod) ? g.ready : g.notReady).push(addressOf(pod, svcName));
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, g]) => ({
      ...(g.ready.length > 0 ? { addresses: g.ready.sort(byIP) } : {}),
      ...(g.notReady.length > 0 ? { notReadyAddresses: g.notReady.sort(byIP) } : {}),
      ...(g.ports.length > 0
        ? {
            ports: g.ports.map((p) => ({
              ...(p.name !== '' ? { name: p.name } : {}),
              port: p.port,
              protocol: p.protocol,
              ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}),
            })),
          }
        : {}),
    }));
}

/** The Endpoints' labels: the Service's, plus the headless marker (kube's EndpointsControllerLabels). */
export function endpointsLabels(svc: KubeObject, view: ServiceView): Record<string, string> {
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  if (view.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

export class EndpointsController implements Controller {
  readonly name = 'endpoint';
  readonly workers = 5;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly endpoints: Informer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.services = ctx.informers.informerFor(Resources.services);
    this.pods = ctx.informers.informerFor(Resources.pods);
    this.endpoints = ctx.informers.informerFor(Resources.endpoints);
    const enqueue = (obj: KubeObject): void => this.queue.add(objectKey(obj));
    this.services.addHandlers({ onAdd: enqueue, onUpdate: (_, s) => enqueue(s), onDelete: enqueue });
    const podChanged = (...pods: KubeObject[]): void => {
      for (const pod of pods) {
        const candidates = this.services.lister.byIndex(IndexNames.namespace, pod.metadata.namespace ?? '');
        for (const key of servicesSelecting(candidates, pod)) this.queue.add(key);
      }
    };
    this.pods.addHandlers({ onAdd: (p) => podChanged(p), onUpdate: (o, n) => podChanged(o, n), onDelete: (p) => podChanged(p) });
    // An Endpoints deleted or changed by someone else is put back.
    this.endpoints.addHandlers({ onUpdate: (_, e) => enqueue(e), onDelete: enqueue });
  }

  async sync(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    const svc = this.services.lister.get(key);
    const current = this.endpoints.lister.get(key);
    if (!svc) {
      if (!current) return;
      try {
        await this.client.delete(Resources.endpoints, name, { namespace });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      return;
    }
    const view = serviceView(svc);
    if (!managesEndpoints(view)) return;
    const pods = this.pods.lister.byIndex(IndexNames.namespace, namespace);
    const subsets = desiredSubsets(name, view, pods);
    const labels = endpointsLabels(svc, view);
    if (current && isDeepStrictEqual(current.subsets ?? [], subsets) && isDeepStrictEqual(current.metadata.labels ?? {}, labels)) return;
    if (!current) {
      const created: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name, namespace, labels }, subsets };
      await this.client.create(Resources.endpoints, created);
      this.logger.debug({ service: key }, 'created endpoints');
      return;
    }
    const next = structuredClone(current);
    next.metadata.labels = labels;
    if (subsets.length > 0) next.subsets = subsets;
    else delete next.subsets;
    await this.client.update(Resources.endpoints, next);
    this.logger.debug({ service: key }, 'updated endpoints');
  }
}

export const endpointsControllerFactory: ControllerFactory = (ctx) => new EndpointsController(ctx);
