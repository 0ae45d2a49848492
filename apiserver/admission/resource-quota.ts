import type { KubeObject } from '../../kube/object.js';
import {
  missingComputeDeclarations,
  objectUsage,
  parseResourceList,
  prettyPrint,
  type QuotaKind,
  resourceConcerns,
  toResourceList,
  type Usage,
} from '../../kube/quota/quota-usage.js';
import type { ApiContext } from '../handlers/context.js';
import { rec } from '../registry/kinds/json.js';
import type { ResourceDef } from '../registry/types.js';
import { ApiError, conflict, forbidden } from '../status.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission-types.js';

/**
 * kube's ResourceQuota admission plugin (plugin/pkg/admission/resourcequota), for creates: the
 * new object's usage (quota-usage.ts) is added to `status.used` of every quota in its namespace
 * that tracks it; if any total would pass `spec.hard`, 403
 * `exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2`.
 *
 * Atomic as kube's quota evaluator is: the new totals are written to each quota with its
 * resourceVersion as precondition (a compare-and-swap) BEFORE the object is written, and a
 * conflict re-reads the quotas and checks again. Two creates racing for the last slot both read
 * `used: 1/2`; one swap wins, the other conflicts, re-reads `2/2` and is refused. A create that
 * fails after being charged (or a delete) leaves `used` too high until the resourcequota
 * controller recounts the namespace, as in kube.
 *
 * A quota the controller has not counted yet (no `status.used` for a resource) is counted here
 * from the store, so the first charge is right without the controller.
 */

/** kube retries its quota writes a few times; picokube's races resolve in a few rounds too. */
const CHARGE_ATTEMPTS_MAX = 16;

export const resourceQuotaPlugin: AdmissionPlugin = {
  name: 'ResourceQuota',
  async validate(req: AdmissionRequest): Promise<void> {
    if (req.operation !== 'CREATE' || req.subresource !== '' || !req.def.namespaced || !req.object) return;
    const quotaDef = req.ctx.registry.byKind('', 'ResourceQuota');
    if (!quotaDef) return;
    await charge(req, quotaDef, req.object);
  },
};

async function charge(req: AdmissionRequest, quotaDef: ResourceDef, obj: KubeObject): Promise<void> {
  const kind: QuotaKind = { group: req.def.group, plural: req.def.plural };
  const delta = objectUsage(kind, obj);
  const charged = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    const quotas = (await req.ctx.objects.list(quotaDef, { namespace: req.namespace })).items;
    const pending: { quota: KubeObject; used: Usage }[] = [];
    for (const quota of quotas) {
      const name = quota.metadata.name ?? '';
      if (charged.has(name)) continue;
      const hard = parseResourceList(rec(quota.spec).hard);
      const tracked = [...hard.keys()].filter((k) => resourceConcerns(k, kind));
      if (tracked.length === 0) continue;
      if (kind.group === '' && kind.plural === 'pods') checkDeclared(req, name, obj, tracked);
      const used = parseResourceList(rec(quota.status).used);
      const uncounted = tracked.filter((k) => !used.has(k));
      if (uncounted.length > 0) for (const [k, v] of await countNamespace(req.ctx, req.namespace, uncounted)) used.set(k, v);
      const next = new Map(used);
      const exceeded: string[] = [];
      for (const k of tracked) {
        const add = delta.get(k);
        if (add === undefined || add === 0n) continue;
        const total = (used.get(k) ?? 0n) + add;
        next.set(k, total);
        if (total > (hard.get(k) ?? 0n)) exceeded.push(k);
      }
      if (exceeded.length > 0) {
        throw forbidden(
          req.def,
          req.name,
          `exceeded quota: ${name}, requested: ${prettyPrint(delta, exceeded)}, used: ${prettyPrint(used, exceeded)}, limited: ${prettyPrint(hard, exceeded)}`,
        );
      }
      pending.push({ quota, used: next });
    }
    // A dry run is checked, never charged.
    if (req.dryRun || pending.length === 0) return;
    let raced = false;
    for (const { quota, used } of pending) {
      const status = { ...rec(quota.status), hard: rec(quota.spec).hard ?? {}, used: toResourceList(used) };
      try {
        await req.ctx.objects.update(quotaDef, { ...quota, status }, Number(quota.metadata.resourceVersion));
        charged.add(quota.metadata.name ?? '');
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status.reason !== 'Conflict' && err.status.reason !== 'NotFound')) throw err;
        raced = true;
      }
    }
    if (!raced) return;
    if (attempt >= CHARGE_ATTEMPTS_MAX) throw conflict(quotaDef, pending[0]?.quota.metadata.name ?? '', 'too many concurrent quota updates; please try again');
  }
}

/** kube's pod evaluator constraint: a quota tracking `limits.cpu` needs every container to set it. */
function checkDeclared(req: AdmissionRequest, quotaName: string, pod: KubeObject, tracked: readonly string[]): void {
  const missing = missingComputeDeclarations(pod, tracked);
  if (missing.size === 0) return;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${(missing.get(r) ?? []).join(',')}`);
  throw forbidden(req.def, req.name, `failed quota: ${quotaName}: must specify ${parts.join('; ')}`);
}

/** The namespace's usage of `resources`, counted from the store (the controller's recount, done once inline). */
export async function countNamespace(ctx: ApiContext, namespace: string, resources: readonly string[]): Promise<Usage> {
  const totals: Usage = new Map(resources.map((r) => [r, 0n]));
  const seen = new Set<string>();
  for (const def of ctx.registry.all) {
    // A kind served in two versions is stored once.
    if (!def.namespaced || seen.has(`${def.group}/${def.plural}`)) continue;
    seen.add(`${def.group}/${def.plural}`);
    const kind: QuotaKind = { group: def.group, plural: def.plural };
    const concerned = resources.filter((r) => resourceConcerns(r, kind));
    if (concerned.length === 0) continue;
    for (const obj of (await ctx.objects.list(def, { namespace })).items) {
      const usage = objectUsage(kind, obj);
      for (const r of concerned) totals.set(r, (totals.get(r) ?? 0n) + (usage.get(r) ?? 0n));
    }
  }
  return totals;
}
