import type { Logger } from 'pino';
import type { Informer } from '../kube/cache/informer-types.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import type { ResourceRef } from '../kube/client/resource.js';
import { type LabelSelector, labelSelectorFromObject } from '../kube/labels/label-selector.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';

/**
 * The ClusterRole aggregation controller (kube's pkg/controller/clusterroleaggregation): a
 * ClusterRole with an `aggregationRule` gets, as its rules, the union of the rules of every other
 * ClusterRole its selectors match, in name order, without duplicates. This is how `admin`, `edit`
 * and `view` pick up `rbac.authorization.k8s.io/aggregate-to-*` roles (the defaults' and any an
 * administrator adds). Any ClusterRole change re-queues every aggregated role (there are few).
 */

export const CLUSTER_ROLES: ResourceRef = {
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  resource: 'clusterroles',
  kind: 'ClusterRole',
  namespaced: false,
};

/** The rules an aggregated role should hold, given every ClusterRole; undefined if `role` aggregates nothing or a selector is malformed. */
export function aggregatedRules(role: KubeObject, all: readonly KubeObject[]): unknown[] | undefined {
  const selectors = (role.aggregationRule as { clusterRoleSelectors?: unknown[] } | null | undefined)?.clusterRoleSelectors;
  if (!Array.isArray(selectors)) return undefined;
  let parsed: LabelSelector[];
  try {
    parsed = selectors.map((s) => labelSelectorFromObject(s));
  } catch {
    return undefined;
  }
  const rules: unknown[] = [];
  const seen = new Set<string>();
  const sources = all.filter((o) => o.metadata.name !== role.metadata.name).sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  for (const source of sources) {
    const labels = source.metadata.labels ?? {};
    if (!parsed.some((sel) => sel.matches(labels))) continue;
    for (const rule of Array.isArray(source.rules) ? source.rules : []) {
      const key = JSON.stringify(rule);
      if (seen.has(key)) continue;
      seen.add(key);
      rules.push(rule);
    }
  }
  return rules;
}

export class ClusterRoleAggregationController implements Controller {
  readonly name = 'clusterrole-aggregation';
  readonly workers = 1;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly roles: Informer<KubeObject>;

  constructor(ctx: ControllerContext) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.roles = ctx.informers.informerFor<KubeObject>(CLUSTER_ROLES);
    const enqueueAggregated = (): void => {
      for (const role of this.roles.lister.list()) if (role.aggregationRule) this.queue.add(role.metadata.name ?? '');
    };
    this.roles.addHandlers({ onAdd: enqueueAggregated, onUpdate: enqueueAggregated, onDelete: enqueueAggregated });
  }

  async sync(key: string): Promise<void> {
    const role = this.roles.lister.get(key);
    if (!role) return;
    const rules = aggregatedRules(role, this.roles.lister.list());
    if (rules === undefined || JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
    try {
      await this.client.update(CLUSTER_ROLES, { ...role, rules });
      this.logger.info({ clusterRole: key, rules: rules.length }, 'aggregated rules');
    } catch (e) {
      // Deleted meanwhile; or changed: the informer's update re-queues it.
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

export const clusterRoleAggregationControllerFactory: ControllerFactory = (ctx) => new ClusterRoleAggregationController(ctx);
