import type { KubeObject } from '../../kube/object.js';
import type { UserInfo } from '../auth/user-info.js';
import { checkRbacEscalation } from '../authz/rbac-escalation.js';
import type { ApiContext } from '../handlers/context.js';
import type { ResourceDef } from '../registry/types.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission-types.js';
import { limitRangerPlugin } from './limit-ranger.js';
import { namespaceLifecyclePlugin } from './namespace-lifecycle.js';
import { nodeRestrictionPlugin } from './node-restriction.js';
import { resourceQuotaPlugin } from './resource-quota.js';
import { serviceAccountPlugin } from './service-account-admission.js';

/**
 * The admission chain: every write (create, update, patch, status writes, delete) passes through
 * it, in kube-apiserver's fixed order (its `AllOrderedPlugins`, restricted to the plugins
 * picokube has):
 *
 *   1. NamespaceLifecycle   no new objects in a missing or terminating namespace
 *   2. LimitRanger          default container requests/limits per namespace; min/max
 *   3. ServiceAccount       pods get the namespace's `default` service account
 *                           (service-account-admission.ts)
 *   4. NodeRestriction      a node (`system:node:<name>`) may only modify itself and its pods
 *      DefaultTolerationSeconds is part of the pod defaults (registry/kinds/pod-defaults.ts)
 *   5. ResourceQuota        per-namespace object counts and compute totals, charged atomically
 *
 * As in kube, a write runs the mutating phase (`admit` of every plugin, in order) on the decoded
 * object, then the kind's strategy (defaults, create/update preparation, validation: 422 with
 * field paths), then the validating phase (`validate` of every plugin, in order) on the final
 * object, then the store write. ResourceQuota comes last so that its charge (a compare-and-swap
 * on the quota's status.used) happens only once everything else has accepted the object.
 *
 * `--enable-admission-plugins` / `--disable-admission-plugins` choose among them; all are on by
 * default.
 */

/** kube's order; a plugin's position never depends on how the flags list it. */
export const ADMISSION_ORDER: readonly string[] = ['NamespaceLifecycle', 'LimitRanger', 'ServiceAccount', 'NodeRestriction', 'ResourceQuota'];

/** The plugins this build has, by name. */
export const ADMISSION_PLUGINS: Readonly<Record<string, AdmissionPlugin>> = {
  NamespaceLifecycle: namespaceLifecyclePlugin,
  LimitRanger: limitRangerPlugin,
  ServiceAccount: serviceAccountPlugin,
  NodeRestriction: nodeRestrictionPlugin,
  ResourceQuota: resourceQuotaPlugin,
};

export class AdmissionChain {
  readonly plugins: readonly AdmissionPlugin[];

  constructor(plugins: readonly AdmissionPlugin[]) {
    this.plugins = plugins;
  }

  get names(): string[] {
    return this.plugins.map((p) => p.name);
  }

  /** The mutating phase: each plugin may change `req.object` or refuse (throws an ApiError). */
  async admit(req: AdmissionRequest): Promise<void> {
    for (const p of this.plugins) await p.admit?.(req);
  }

  /** The validating phase: each plugin may only refuse (throws an ApiError). */
  async validate(req: AdmissionRequest): Promise<void> {
    for (const p of this.plugins) await p.validate?.(req);
  }
}

/** An empty chain: what a context built without admission (unit tests of handlers) runs. */
export const NO_ADMISSION = new AdmissionChain([]);

/**
 * The chain the flags choose: every known plugin unless `disabled` names it; `enabled` may only
 * name known plugins (they are on by default anyway, as kube's recommended set is). Throws on an
 * unknown name, with kube's wording, so that a typo stops the apiserver at start.
 */
export function buildAdmissionChain(
  enabled: readonly string[] = [],
  disabled: readonly string[] = [],
  plugins: Readonly<Record<string, AdmissionPlugin>> = ADMISSION_PLUGINS,
): AdmissionChain {
  const known = ADMISSION_ORDER.filter((n) => plugins[n] !== undefined);
  for (const name of [...enabled, ...disabled]) {
    if (!known.includes(name)) throw new Error(`admission plugin "${name}" is unknown (known: ${known.join(', ')})`);
  }
  const off = new Set(disabled);
  return new AdmissionChain(known.filter((n) => !off.has(n)).map((n) => plugins[n] as AdmissionPlugin));
}

/** `A,B , C` as a list. */
export function parsePluginList(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** What the write handlers know about one write; `attributes` turns it into an AdmissionRequest. */
export interface WriteAttributes {
  readonly operation: AdmissionRequest['operation'];
  readonly def: ResourceDef;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly subresource?: string | undefined;
  readonly object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
  readonly user: UserInfo;
  readonly dryRun: boolean;
}

export function admissionRequest(ctx: ApiContext, a: WriteAttributes): AdmissionRequest {
  return {
    operation: a.operation,
    def: a.def,
    namespace: a.namespace ?? '',
    name: a.name,
    subresource: a.subresource ?? '',
    object: a.object,
    oldObject: a.oldObject,
    user: a.user,
    dryRun: a.dryRun,
    ctx,
  };
}

/** Every plugin, in order: what runs when the apiserver was built without a choice. */
const DEFAULT_CHAIN = buildAdmissionChain();

/** The chain a context carries; all plugins when it names none (kube's default set is on by default). */
export function chainOf(ctx: ApiContext): AdmissionChain {
  return ctx.admission ?? DEFAULT_CHAIN;
}

/** The mutating phase for one write; returns the object as the plugins left it. */
export async function admitWrite(ctx: ApiContext, a: WriteAttributes): Promise<KubeObject | undefined> {
  const req = admissionRequest(ctx, a);
  await chainOf(ctx).admit(req);
  return req.object;
}

/** The validating phase for one write, on the object about to be stored. */
export async function validateWrite(ctx: ApiContext, a: WriteAttributes): Promise<void> {
  const req = admissionRequest(ctx, a);
  await chainOf(ctx).validate(req);
  // RBAC escalation prevention: part of the rbac kinds' storage in kube, not a plugin one could turn off.
  await checkRbacEscalation(req);
}
