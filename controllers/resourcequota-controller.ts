import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isNotFound } from '../kube/client/api-client.js';
import { objectKey, type ResourceRef, Resources } from '../kube/client/resource.js';
import { isPlainObject, type KubeObject } from '../kube/object.js';
import { objectUsage, parseResourceList, type QuotaKind, resourceConcerns, toResourceList, type Usage } from '../kube/quota/quota-usage.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';

/**
 * The resourcequota controller (kube's pkg/controller/resourcequota): keeps each quota's
 * `status.hard` equal to `spec.hard` and recounts `status.used` from the informers, so that
 * deletes (and pods reaching Succeeded/Failed) give slots back, and a charge whose create then
 * failed is taken back. Creates are charged by the ResourceQuota admission plugin, so, as in kube,
 * adds do not trigger a recount (a recount racing an admitted create would count it too late);
 * a quota is recounted when it is added, when its spec.hard changes, and when an object it
 * counts goes away or stops counting. Resources of kinds this controller does not watch keep the
 * used value admission wrote.
 */

const RESOURCE_QUOTAS: ResourceRef = { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true };

/** The kinds recounted: every namespaced kind quotas commonly name. */
const COUNTED: readonly ResourceRef[] = [
  Resources.pods,
  Resources.services,
  Resources.configmaps,
  Resources.secrets,
  Resources.persistentvolumeclaims,
  Resources.replicationcontrollers,
  Resources.deployments,
  Resources.replicasets,
  Resources.statefulsets,
  Resources.daemonsets,
  Resources.jobs,
  RESOURCE_QUOTAS,
];

function quotaKind(r: ResourceRef): QuotaKind {
  return { group: r.group, plural: r.resource };
}

export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota';
  readonly workers = 2;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly quotas: Informer;
  private readonly counted: { readonly ref: ResourceRef; readonly informer: Informer }[];

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.quotas = ctx.informers.informerFor(RESOURCE_QUOTAS);
    this.quotas.addHandlers({
      onAdd: (q) => this.queue.add(objectKey(q)),
      onUpdate: (old, q) => {
        if (!sameList(spec(old).hard, spec(q).hard) || !sameList(spec(q).hard, status(q).hard)) this.queue.add(objectKey(q));
      },
    });
    this.counted = COUNTED.map((ref) => ({ ref, informer: ref === RESOURCE_QUOTAS ? this.quotas : ctx.informers.informerFor(ref) }));
    for (const { ref, informer } of this.counted) {
      const kind = quotaKind(ref);
      informer.addHandlers({
        onDelete: (obj) => this.enqueueNamespace(obj),
        // A pod that finished stops counting: its slot comes back.
        onUpdate: (old, cur) => {
          if (countsChanged(kind, old, cur)) this.enqueueNamespace(cur);
        },
      });
    }
  }

  private enqueueNamespace(obj: KubeObject): void {
    const ns = obj.metadata.namespace ?? '';
    for (const q of this.quotas.lister.byIndex(IndexNames.namespace, ns)) this.queue.add(objectKey(q));
  }

  async sync(key: string): Promise<void> {
    const quota = this.quotas.lister.get(key);
    if (!quota) return;
    const ns = quota.metadata.namespace ?? '';
    const hardList = spec(quota).hard;
    const hard = parseResourceList(hardList);
    const used: Usage = parseResourceList(status(quota).used);
    for (const resource of hard.keys()) {
      const counters = this.counted.filter(({ ref }) => resourceConcerns(resource, quotaKind(ref)));
      // Not a kind watched here: keep what admission charged.
      if (counters.length === 0) continue;
      let total = 0n;
      for (const { ref, informer } of counters) {
        for (const obj of informer.lister.byIndex(IndexNames.namespace, ns)) total += objectUsage(quotaKind(ref), obj).get(resource) ?? 0n;
      }
      used.set(resource, total);
    }
    // Resources no longer in hard are no longer reported.
    for (const k of [...used.keys()]) if (!hard.has(k)) used.delete(k);
    const next = { hard: toResourceList(hard), used: toResourceList(used) };
    if (sameList(status(quota).hard, next.hard) && sameList(status(quota).used, next.used)) return;
    try {
      await this.client.updateStatus(RESOURCE_QUOTAS, { ...quota, status: { ...status(quota), ...next } });
      this.logger.debug({ quota: key, used: next.used }, 'quota usage recounted');
    } catch (e) {
      // A conflict is an error: the queue retries with backoff on the newer copy.
      if (!isNotFound(e)) throw e;
    }
  }
}

function spec(o: KubeObject): Record<string, unknown> {
  return isPlainObject(o.spec) ? o.spec : {};
}

function status(o: KubeObject): Record<string, unknown> {
  return isPlainObject(o.status) ? o.status : {};
}

/** Two ResourceLists equal as amounts (`1000m` is `1`). */
function sameList(a: unknown, b: unknown): boolean {
  const x = parseResourceList(a);
  const y = parseResourceList(b);
  if (x.size !== y.size) return false;
  for (const [k, v] of x) if (y.get(k) !== v) return false;
  return true;
}

function countsChanged(kind: QuotaKind, old: KubeObject, cur: KubeObject): boolean {
  const a = objectUsage(kind, old);
  const b = objectUsage(kind, cur);
  if (a.size !== b.size) return true;
  for (const [k, v] of a) if (b.get(k) !== v) return true;
  return false;
}

export const resourceQuotaControllerFactory: ControllerFactory = (ctx) => new ResourceQuotaController(ctx);
