import { allKinds } from './kinds/all-kinds.js';
import type { ResourceDef } from './types.js';

export { allKinds } from './kinds/all-kinds.js';

/**
 * The resource registry: every kind the apiserver serves, found by URL (group, version, plural),
 * by kind, or by any name kubectl accepts (`pods`, `pod`, `po`, `deployments.apps`). Group-versions
 * come in kube-apiserver's preferred order, which is also the order kubectl's REST mapper trusts
 * when two groups share a name.
 */

export interface GroupVersion {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
}

/**
 * kube-aggregator's group priorities (`apiVersionPriorities`): core first, then apps, events, …
 * A group not listed (a CRD's) comes after all of these, in alphabetical order.
 */
const GROUP_PRIORITY: Readonly<Record<string, number>> = {
  '': 18000,
  apps: 17800,
  'events.k8s.io': 17750,
  'authentication.k8s.io': 17700,
  'authorization.k8s.io': 17600,
  autoscaling: 17500,
  batch: 17400,
  'certificates.k8s.io': 17300,
  'networking.k8s.io': 17200,
  policy: 17100,
  'rbac.authorization.k8s.io': 17000,
  'storage.k8s.io': 16800,
  'admissionregistration.k8s.io': 16700,
  'apiextensions.k8s.io': 16700,
  'scheduling.k8s.io': 16600,
  'coordination.k8s.io': 16500,
  'node.k8s.io': 16300,
  'discovery.k8s.io': 16200,
  'flowcontrol.apiserver.k8s.io': 16100,
  'internal.apiserver.k8s.io': 16000,
  'resource.k8s.io': 15900,
};

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareGroups(a: string, b: string): number {
  const pa = GROUP_PRIORITY[a] ?? 0;
  const pb = GROUP_PRIORITY[b] ?? 0;
  return pa !== pb ? pb - pa : compareStrings(a, b);
}

const KUBE_VERSION = /^v(\d+)(?:(alpha|beta)(\d+))?$/;
const STABILITY: Readonly<Record<string, number>> = { '': 2, beta: 1, alpha: 0 };

/** Kube-aware version order (`v2`, `v1`, `v1beta2`, `v1beta1`, `v1alpha1`, then others by name). */
export function compareVersions(a: string, b: string): number {
  const ma = KUBE_VERSION.exec(a);
  const mb = KUBE_VERSION.exec(b);
  if (!ma || !mb) {
    if (ma) return -1;
    if (mb) return 1;
    return compareStrings(a, b);
  }
  const stability = (STABILITY[mb[2] ?? ''] ?? 0) - (STABILITY[ma[2] ?? ''] ?? 0);
  if (stability !== 0) return stability;
  const major = Number(mb[1]) - Number(ma[1]);
  if (major !== 0) return major;
  return Number(mb[3] ?? 0) - Number(ma[3] ?? 0);
}

function gvKey(group: string, version: string): string {
  return `${group}/${version}`;
}

/** Ways a set of definitions contradicts itself; the registry refuses to start with any. */
export function registryProblems(defs: readonly ResourceDef[]): string[] {
  const problems: string[] = [];
  const byResource = new Map<string, ResourceDef>();
  const byKind = new Map<string, ResourceDef>();
  const shortNames = new Map<string, ResourceDef>();
  for (const def of defs) {
    const id = `${def.plural}.${def.group || 'core'}`;
    if (def.plural !== def.plural.toLowerCase() || !/^[a-z][a-z0-9]*$/.test(def.plural)) problems.push(`${id}: plural must be lower-case letters and digits`);
    if (def.singular !== def.singular.toLowerCase() || def.singular === '') problems.push(`${id}: singular must be lower-case and non-empty`);
    if (!/^[A-Z][A-Za-z0-9]*$/.test(def.kind)) problems.push(`${id}: kind must be UpperCamelCase`);
    if (def.version === '') problems.push(`${id}: version is empty`);
    if (!def.schemaName.endsWith(`.${def.kind}`)) problems.push(`${id}: schemaName ${def.schemaName} does not name kind ${def.kind}`);
    const rk = `${gvKey(def.group, def.version)}/${def.plural}`;
    if (byResource.has(rk)) problems.push(`${id}: resource ${rk} defined twice`);
    byResource.set(rk, def);
    const kk = `${def.group}/${def.kind}`;
    if (byKind.has(kk)) problems.push(`${id}: kind ${kk} defined twice`);
    byKind.set(kk, def);
    for (const short of def.shortNames) {
      if (short !== short.toLowerCase()) problems.push(`${id}: short name ${short} must be lower-case`);
      const other = shortNames.get(short);
      if (other && other !== def) problems.push(`${id}: short name ${short} already used by ${other.plural}.${other.group || 'core'}`);
      shortNames.set(short, def);
    }
    if (def.scale && !def.subresources.includes('scale')) problems.push(`${id}: scale access without the scale subresource`);
    if (!def.scale && def.subresources.includes('scale')) problems.push(`${id}: scale subresource without scale access`);
    if (def.columns && !def.columns.some((c) => c.format === 'name')) problems.push(`${id}: columns lack a Name column (format 'name')`);
    if (def.specFields?.length === 0) problems.push(`${id}: specFields is empty (omit it for a kind without generation)`);
  }
  return problems;
}

export class ResourceRegistry {
  /** Every definition, in preferred group-version order and by plural within one, as discovery lists them. */
  readonly all: readonly ResourceDef[];
  private readonly byResourceKey = new Map<string, ResourceDef>();
  private readonly byKindKey = new Map<string, ResourceDef>();
  private readonly orderedGroupVersions: readonly GroupVersion[];

  /** Throws if the definitions contradict each other (see `registryProblems`). */
  constructor(defs: readonly ResourceDef[] = allKinds) {
    const problems = registryProblems(defs);
    if (problems.length > 0) throw new Error(`invalid resource registry:\n${problems.join('\n')}`);
    this.all = this.ordered([...defs]);
    for (const def of defs) {
      this.byResourceKey.set(`${gvKey(def.group, def.version)}/${def.plural}`, def);
      // The preferred version's definition answers for the kind.
      const kk = `${def.group}/${def.kind}`;
      const seen = this.byKindKey.get(kk);
      if (!seen || compareVersions(def.version, seen.version) < 0) this.byKindKey.set(kk, def);
    }
    const gvs = new Map<string, GroupVersion>();
    for (const def of defs) gvs.set(gvKey(def.group, def.version), { group: def.group, version: def.version });
    this.orderedGroupVersions = [...gvs.values()].sort((a, b) => compareGroups(a.group, b.group) || compareVersions(a.version, b.version));
  }

  /** The registry of every built-in kind (`allKinds`). */
  static builtin(): ResourceRegistry {
    return new ResourceRegistry(allKinds);
  }

  /** The kind served at `/api[s]/<group>/<version>/…/<plural>`. */
  byResource(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byResourceKey.get(`${gvKey(group, version)}/${plural}`);
  }

  /** A kind of a group, in the group's preferred version. */
  byKind(group: string, kind: string): ResourceDef | undefined {
    return this.byKindKey.get(`${group}/${kind}`);
  }

  /** The group-versions served, in kube's preferred order (core first, then apps, batch, …). */
  groupVersions(): readonly GroupVersion[] {
    return this.orderedGroupVersions;
  }

  /** The groups served, in preferred order; '' is the core group. */
  groups(): string[] {
    return [...new Set(this.orderedGroupVersions.map((gv) => gv.group))];
  }

  /** A group's versions, preferred first. */
  versionsOf(group: string): string[] {
    return this.orderedGroupVersions.filter((gv) => gv.group === group).map((gv) => gv.version);
  }

  /** The kinds of one group-version, sorted by plural as discovery lists them. */
  resourcesOf(group: string, version: string): ResourceDef[] {
    return this.all.filter((d) => d.group === group && d.version === version);
  }

  /** The kinds in a category (`all` is what `kubectl get all` lists), in preferred group order. */
  inCategory(category: string): ResourceDef[] {
    return this.ordered(this.all.filter((d) => d.categories.includes(category)));
  }

  /**
   * The kinds a name given on kubectl's command line means: plural, singular, short name or kind,
   * case-insensitively, optionally qualified by group (`deployments.apps`, `deploy.apps`). Several
   * matches come in preferred group order; the first is the one kubectl picks.
   */
  resolve(name: string): ResourceDef[] {
    const lower = name.toLowerCase();
    const matches = this.all.filter((d) => {
      for (const candidate of [d.plural, d.singular, d.kind.toLowerCase(), ...d.shortNames]) {
        if (lower === candidate) return true;
        if (d.group !== '' && lower === `${candidate}.${d.group}`) return true;
      }
      return false;
    });
    return this.ordered(matches);
  }

  /** Sorted by group priority, then version preference, then plural. */
  private ordered(defs: ResourceDef[]): ResourceDef[] {
    return defs.sort((a, b) => compareGroups(a.group, b.group) || compareVersions(a.version, b.version) || compareStrings(a.plural, b.plural));
  }
}
