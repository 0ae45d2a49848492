import type { ResourceDef, Subresource } from './registry/types.js';

/**
 * API discovery, as kube-apiserver serves it (kubectl-protocol.md §1): the legacy documents
 * (`/api` APIVersions, `/apis` APIGroupList, `/api/v1` and `/apis/<g>/<v>` APIResourceList) and the
 * aggregated form (`APIGroupDiscoveryList`, apidiscovery.k8s.io/v2) kubectl 1.32 asks for first.
 * All built from the registry, so a new kind is discoverable the moment it is registered.
 */

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface SubresourceShape {
  readonly kind: (def: ResourceDef) => string;
  readonly group?: string;
  readonly version?: string;
  readonly verbs: readonly string[];
}

const SUBRESOURCES: Record<Subresource | 'finalize', SubresourceShape> = {
  status: { kind: (d) => d.kind, verbs: ['get', 'patch', 'update'] },
  scale: { kind: () => 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
  binding: { kind: () => 'Binding', verbs: ['create'] },
  eviction: { kind: () => 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
  log: { kind: () => 'Pod', verbs: ['get'] },
  finalize: { kind: () => 'Namespace', verbs: ['update'] },
};

function subresourcesOf(def: ResourceDef): (Subresource | 'finalize')[] {
  return def.kind === 'Namespace' ? [...def.subresources, 'finalize'] : [...def.subresources];
}

export function groupVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}

/** The group/version pairs served, core first, in registry order. */
export function groupVersions(defs: readonly ResourceDef[]): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const d of defs) {
    const key = groupVersion(d.group, d.version);
    if (!seen.has(key)) seen.set(key, { group: d.group, version: d.version });
  }
  return [...seen.values()];
}

export function apiVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(name: string, versions: string[]): unknown {
  const gvs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: gvs, preferredVersion: gvs[0] };
}

export function apiGroupList(defs: readonly ResourceDef[]): unknown {
  const groups = new Map<string, string[]>();
  for (const { group, version } of groupVersions(defs)) {
    if (!group) continue;
    const versions = groups.get(group) ?? [];
    versions.push(version);
    groups.set(group, versions);
  }
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groups].map(([name, versions]) => apiGroup(name, versions)) };
}

export function apiGroupDocument(defs: readonly ResourceDef[], group: string): unknown | undefined {
  const versions = groupVersions(defs)
    .filter((gv) => gv.group === group)
    .map((gv) => gv.version);
  if (versions.length === 0) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...(apiGroup(group, versions) as object) };
}

export function apiResourceList(defs: readonly ResourceDef[], group: string, version: string): unknown | undefined {
  const served = defs.filter((d) => d.group === group && d.version === version);
  if (served.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const d of served) {
    const entry: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: d.virtual ? ['create'] : VERBS,
    };
    if (d.shortNames.length > 0) entry.shortNames = d.shortNames;
    if (d.categories.length > 0) entry.categories = d.categories;
    resources.push(entry);
    for (const sub of subresourcesOf(d)) {
      const shape = SUBRESOURCES[sub];
      const s: Record<string, unknown> = { name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced, kind: shape.kind(d), verbs: shape.verbs };
      if (shape.group !== undefined) s.group = shape.group;
      if (shape.version !== undefined) s.version = shape.version;
      resources.push(s);
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources };
}

/**
 * The aggregated document for `/api` (core) or `/apis` (every named group). kubectl reads it only
 * if the response Content-Type names it (AGGREGATED_CONTENT_TYPE), else it silently finds nothing.
 */
export function aggregatedDiscovery(defs: readonly ResourceDef[], core: boolean, version: 'v2' | 'v2beta1'): unknown {
  const byGroup = new Map<string, Map<string, ResourceDef[]>>();
  for (const d of defs) {
    if ((d.group === '') !== core) continue;
    const versions = byGroup.get(d.group) ?? new Map<string, ResourceDef[]>();
    const list = versions.get(d.version) ?? [];
    list.push(d);
    versions.set(d.version, list);
    byGroup.set(d.group, versions);
  }
  const items = [...byGroup].map(([group, versions]) => ({
    metadata: group ? { name: group } : {},
    versions: [...versions].map(([v, list]) => ({
      version: v,
      freshness: 'Current',
      resources: list.map((d) => ({
        resource: d.plural,
        responseKind: { group: d.group, version: d.version, kind: d.kind },
        scope: d.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: d.singular,
        verbs: d.virtual ? ['create'] : VERBS,
        ...(d.shortNames.length > 0 ? { shortNames: d.shortNames } : {}),
        ...(d.categories.length > 0 ? { categories: d.categories } : {}),
        subresources: subresourcesOf(d).map((sub) => {
          const shape = SUBRESOURCES[sub];
          return {
            subresource: sub,
            responseKind: { group: shape.group ?? d.group, version: shape.version ?? d.version, kind: shape.kind(d) },
            verbs: shape.verbs,
          };
        }),
      })),
    })),
  }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items };
}

export function aggregatedContentType(version: 'v2' | 'v2beta1'): string {
  return `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;
}

/** What `/version` reports. The machine's kubectl picks its own version from gitVersion (§0.1): it must be v1.32.x. */
export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: 'picokube',
  gitTreeState: 'clean',
  buildDate: '2026-11-27T00:00:00Z',
  goVersion: `node${process.versions.node}`,
  compiler: 'tsc',
  platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
};
