import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isNotFound } from '../kube/client/api-client.js';
import { objectKey, type ResourceRef, Resources, splitKey } from '../kube/client/resource.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { managesEndpoints, serviceView, servicesSelecting } from './endpoint-ports.js';
import { HEADLESS_LABEL } from './endpoints-controller.js';
import { desiredGroups, MANAGED_BY, MANAGED_BY_LABEL, planSlices, SERVICE_NAME_LABEL } from './endpointslice-plan.js';

/**
 * The EndpointSlice controller (kube's pkg/controller/endpointslice, `endpointslice` in
 * --controllers): for every Service with a selector, discovery.k8s.io/v1 EndpointSlices
 * (addressType IPv4) labelled `kubernetes.io/service-name` and managed-by
 * `endpointslice-controller.k8s.io`, owned by the Service, holding an endpoint per selected pod
 * with its ready/serving/terminating conditions (terminating pods stay, marked). The grouping
 * and the minimal-churn packing are endpointslice-plan.ts.
 */

export const EndpointSlices: ResourceRef = Resources.endpointslices;

function isOurs(slice: KubeObject): boolean {
  return slice.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY && slice.metadata.labels?.[SERVICE_NAME_LABEL] !== undefined;
}

export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  readonly workers = 5;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly services: Informer;
  private readonly pods: Informer;
  private readonly slices: Informer;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.services = ctx.informers.informerFor(Resources.services);
    this.pods = ctx.informers.informerFor(Resources.pods);
    this.slices = ctx.informers.informerFor(EndpointSlices);
    const enqueue = (obj: KubeObject): void => this.queue.add(objectKey(obj));
    this.services.addHandlers({ onAdd: enqueue, onUpdate: (_, s) => enqueue(s), onDelete: enqueue });
    const podChanged = (...pods: KubeObject[]): void => {
      for (const pod of pods) {
        const candidates = this.services.lister.byIndex(IndexNames.namespace, pod.metadata.namespace ?? '');
        for (const key of servicesSelecting(candidates, pod)) this.queue.add(key);
      }
    };
    this.pods.addHandlers({ onAdd: (p) => podChanged(p), onUpdate: (o, n) => podChanged(o, n), onDelete: (p) => podChanged(p) });
    const sliceChanged = (slice: KubeObject): void => {
      if (isOurs(slice)) this.queue.add(`${slice.metadata.namespace ?? ''}/${slice.metadata.labels?.[SERVICE_NAME_LABEL] ?? ''}`);
    };
    this.slices.addHandlers({ onUpdate: (_, s) => sliceChanged(s), onDelete: sliceChanged });
  }

  async sync(key: string): Promise<void> {
    const { namespace = '', name } = splitKey(key);
    const svc = this.services.lister.get(key);
    const existing = this.slices.lister.byIndex(IndexNames.namespace, namespace).filter((s) => isOurs(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
    if (!svc) {
      // The garbage collector would remove them through the ownerReference too; this is sooner.
      for (const s of existing) await this.remove(namespace, s.metadata.name ?? '');
      return;
    }
    const view = serviceView(svc);
    if (!managesEndpoints(view)) return;
    // Slices of an older Service of the same name are not ours to reuse.
    const current = existing.filter((s) => s.metadata.ownerReferences?.some((o) => o.uid === svc.metadata.uid) ?? false);
    for (const s of existing) if (!current.includes(s)) await this.remove(namespace, s.metadata.name ?? '');
    const plan = planSlices(current, desiredGroups(view, name, this.pods.lister.byIndex(IndexNames.namespace, namespace)));
    const labels = this.labelsFor(svc, view.clusterIP === 'None');
    const byName = new Map(current.map((s) => [s.metadata.name ?? '', s]));
    for (const u of plan.update) {
      const next = structuredClone(byName.get(u.name) as KubeObject);
      next.metadata.labels = labels;
      next.endpoints = u.endpoints;
      next.ports = u.ports;
      await this.client.update(EndpointSlices, next);
    }
    // Labels changed on the Service: slices whose content stays get them too.
    for (const s of current) {
      const n = s.metadata.name ?? '';
      if (plan.delete.includes(n) || plan.update.some((u) => u.name === n) || isDeepStrictEqual(s.metadata.labels ?? {}, labels)) continue;
      await this.client.update(EndpointSlices, { ...structuredClone(s), metadata: { ...structuredClone(s.metadata), labels } });
    }
    for (const c of plan.create) {
      await this.client.create(EndpointSlices, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${name}-`,
          namespace,
          labels,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata.uid ?? '', controller: true, blockOwnerDeletion: true }],
        },
        addressType: 'IPv4',
        endpoints: c.endpoints,
        ports: c.ports,
      });
    }
    for (const n of plan.delete) await this.remove(namespace, n);
    if (plan.update.length + plan.create.length + plan.delete.length > 0) {
      this.logger.debug({ service: key, updated: plan.update.length, created: plan.create.length, deleted: plan.delete.length }, 'reconciled endpoint slices');
    }
  }

  private labelsFor(svc: KubeObject, headless: boolean): Record<string, string> {
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}), [SERVICE_NAME_LABEL]: svc.metadata.name ?? '', [MANAGED_BY_LABEL]: MANAGED_BY };
    if (headless) labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];
    return labels;
  }

  private async remove(namespace: string, name: string): Promise<void> {
    try {
      await this.client.delete(EndpointSlices, name, { namespace });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export const endpointSliceControllerFactory: ControllerFactory = (ctx) => new EndpointSliceController(ctx);
