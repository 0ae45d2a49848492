import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isNotFound } from '../kube/client/api-client.js';
import type { EventRecorder } from '../kube/client/event-recorder.js';
import { objectKey, Resources } from '../kube/client/resource.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';
import { LOAD_BALANCER_IP_POOL_DEFAULT, LoadBalancerPool } from './load-balancer-pool.js';

/**
 * The service controller (kube's cloud-provider service controller, `service` in --controllers)
 * with a simulated cloud, as MetalLB or kind's cloud-provider-kind would be: a LoadBalancer
 * Service gets `status.loadBalancer.ingress[0].ip` from the pool (`spec.loadBalancerIP` when
 * it asks for a free pool address); a Service that stops being a LoadBalancer, or is deleted,
 * gives its address back. Services with a `loadBalancerClass` belong to another implementation.
 * Addresses in use are read from the cache (every LoadBalancer Service's ingress IPs) plus the
 * ones this process handed out that the cache has not shown yet; one worker, so two Services
 * never get the same address.
 */

export interface ServiceLbOptions {
  /** `--load-balancer-ip-pool`. */
  readonly pool?: LoadBalancerPool;
}

/** A Service whose pool was full is looked at again after this long (new addresses may be free). */
const POOL_FULL_RETRY_MS = 30_000;

function spec(svc: KubeObject): Record<string, unknown> {
  return (svc.spec ?? {}) as Record<string, unknown>;
}

function ingressIPs(svc: KubeObject): string[] {
  const ingress = ((svc.status ?? {}) as { loadBalancer?: { ingress?: unknown } }).loadBalancer?.ingress;
  return Array.isArray(ingress) ? ingress.map((i) => (i as { ip?: unknown }).ip).filter((ip): ip is string => typeof ip === 'string' && ip !== '') : [];
}

function wantsOurLoadBalancer(svc: KubeObject): boolean {
  const s = spec(svc);
  return s.type === 'LoadBalancer' && (s.loadBalancerClass === undefined || s.loadBalancerClass === null);
}

export class ServiceLbController implements Controller {
  readonly name = 'service';
  // One worker: the in-use set is read and extended without a race.
  readonly workers = 1;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly recorder: EventRecorder;
  private readonly logger: Logger;
  private readonly services: Informer;
  private readonly pool: LoadBalancerPool;
  /** Addresses this process assigned, by Service key, until the Service is gone or no LoadBalancer. */
  private readonly assigned = new Map<string, string>();

  constructor(ctx: ControllerContext, options: ServiceLbOptions = {}) {
    this.client = ctx.client;
    this.recorder = ctx.recorder;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.pool = options.pool ?? LoadBalancerPool.parse(LOAD_BALANCER_IP_POOL_DEFAULT);
    this.services = ctx.informers.informerFor(Resources.services);
    const enqueue = (svc: KubeObject): void => {
      if (wantsOurLoadBalancer(svc) || ingressIPs(svc).length > 0 || this.assigned.has(objectKey(svc))) this.queue.add(objectKey(svc));
    };
    this.services.addHandlers({ onAdd: enqueue, onUpdate: (_, s) => enqueue(s), onDelete: (s) => this.assigned.delete(objectKey(s)) });
  }

  async sync(key: string): Promise<void> {
    const svc = this.services.lister.get(key);
    if (!svc) {
      this.assigned.delete(key);
      return;
    }
    const have = ingressIPs(svc);
    if (!wantsOurLoadBalancer(svc)) {
      this.assigned.delete(key);
      // Not (or no longer) ours: an address of our pool goes back.
      if (have.some((ip) => this.pool.contains(ip)) && spec(svc).type !== 'LoadBalancer') await this.writeIngress(svc, undefined);
      return;
    }
    if (have.length > 0) {
      const ip = have[0] as string;
      if (this.pool.contains(ip)) this.assigned.set(key, ip);
      return;
    }
    const inUse = this.inUse(key);
    const wanted = typeof spec(svc).loadBalancerIP === 'string' ? (spec(svc).loadBalancerIP as string) : undefined;
    this.recorder.event(svc, 'Normal', 'EnsuringLoadBalancer', 'Ensuring load balancer');
    const ip = this.pool.pick(inUse, wanted);
    if (ip === undefined) {
      const why = wanted ? `requested IP ${wanted} is not a free address of the pool` : 'no free address left in the pool';
      this.recorder.event(svc, 'Warning', 'SyncLoadBalancerFailed', `Error syncing load balancer: failed to ensure load balancer: ${why}`);
      this.queue.addAfter(key, POOL_FULL_RETRY_MS);
      return;
    }
    this.assigned.set(key, ip);
    try {
      await this.writeIngress(svc, ip);
    } catch (e) {
      this.assigned.delete(key);
      throw e;
    }
    this.recorder.event(svc, 'Normal', 'EnsuredLoadBalancer', 'Ensured load balancer');
    this.logger.info({ service: key, ip }, 'assigned a load balancer address');
  }

  private inUse(except: string): Set<string> {
    const used = new Set<string>();
    for (const s of this.services.lister.list()) if (objectKey(s) !== except && spec(s).type === 'LoadBalancer') for (const ip of ingressIPs(s)) used.add(ip);
    for (const [k, ip] of this.assigned) if (k !== except) used.add(ip);
    return used;
  }

  /** Sets (or, with undefined, clears) the ingress through `/status`, on a fresh read so a stale cache costs no conflict loop. */
  private async writeIngress(svc: KubeObject, ip: string | undefined): Promise<void> {
    const { namespace, name = '' } = svc.metadata;
    let fresh: KubeObject;
    try {
      fresh = await this.client.get(Resources.services, name, namespace);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (fresh.metadata.uid !== svc.metadata.uid) return;
    fresh.status = { ...((fresh.status ?? {}) as Record<string, unknown>), loadBalancer: ip === undefined ? {} : { ingress: [{ ip, ipMode: 'VIP' }] } };
    try {
      await this.client.updateStatus(Resources.services, fresh);
    } catch (e) {
      // Gone meanwhile: nothing to do. A conflict is retried by the queue.
      if (!isNotFound(e)) throw e;
    }
  }
}

export function serviceLbControllerFactory(options: ServiceLbOptions = {}): ControllerFactory {
  return (ctx) => new ServiceLbController(ctx, options);
}
