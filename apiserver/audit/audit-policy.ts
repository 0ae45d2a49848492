import { parse as parseYaml } from 'yaml';
import { isPlainObject } from '../../kube/object.js';
import type { UserInfo } from '../auth/user-info.js';

/**
 * kube-apiserver's audit policy (audit.k8s.io/v1 Policy, `--audit-policy-file`), the subset that
 * decides how much of a request is logged: a list of rules, the first that matches gives the
 * level; no match: None. Levels: None (not logged), Metadata (who, what, when, the answer's code),
 * Request (and the request body). RequestResponse is accepted and logged as Request: response
 * bodies are not kept. Without a policy file every request is logged at Metadata.
 */

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
const LEVELS: readonly AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];

export interface GroupResources {
  /** '' for the core group; absent: the core group too (kube's default). */
  readonly group: string;
  /** `pods`, `pods/status`, `*`, any-resource-slash-status, `pods` slash any; empty: every resource of the group. */
  readonly resources: readonly string[];
  readonly resourceNames: readonly string[];
}

export interface PolicyRule {
  readonly level: AuditLevel;
  readonly users: readonly string[];
  readonly userGroups: readonly string[];
  readonly verbs: readonly string[];
  readonly resources: readonly GroupResources[];
  /** '' matches cluster-scoped resources. */
  readonly namespaces: readonly string[];
  /** `/healthz`, `/api*` (a trailing `*` is a prefix). */
  readonly nonResourceURLs: readonly string[];
}

export interface AuditPolicy {
  readonly rules: readonly PolicyRule[];
}

/** What a rule is matched against: the request after authentication and routing. */
export interface AuditAttributes {
  readonly user: UserInfo;
  /** kube's verbs (`get`, `list`, `create`…) for resource requests; the lower-case method otherwise. */
  readonly verb: string;
  /** Absent for non-resource requests (`/healthz`, `/version`, discovery). */
  readonly resource?: {
    readonly group: string;
    readonly resource: string;
    readonly subresource: string;
    readonly namespace: string;
    readonly name: string;
  };
  /** The URL path, without the query. */
  readonly path: string;
}

export const DEFAULT_AUDIT_POLICY: AuditPolicy = { rules: [rule({ level: 'Metadata' })] };

function rule(r: Partial<PolicyRule> & { level: AuditLevel }): PolicyRule {
  return { users: [], userGroups: [], verbs: [], resources: [], namespaces: [], nonResourceURLs: [], ...r };
}

/** The level for a request: the first matching rule's; None when no rule matches. */
export function auditLevelFor(policy: AuditPolicy, attrs: AuditAttributes): AuditLevel {
  for (const r of policy.rules) if (ruleMatches(r, attrs)) return r.level;
  return 'None';
}

export function ruleMatches(r: PolicyRule, a: AuditAttributes): boolean {
  if (r.users.length > 0 && !r.users.includes(a.user.name)) return false;
  if (r.userGroups.length > 0 && !a.user.groups.some((g) => r.userGroups.includes(g))) return false;
  if (r.verbs.length > 0 && !r.verbs.includes(a.verb)) return false;
  const res = a.resource;
  if (res === undefined) {
    // A rule about resources or namespaces never matches a non-resource request.
    if (r.resources.length > 0 || r.namespaces.length > 0) return false;
    return r.nonResourceURLs.length === 0 || r.nonResourceURLs.some((u) => pathMatches(u, a.path));
  }
  if (r.nonResourceURLs.length > 0) return false;
  if (r.namespaces.length > 0 && !r.namespaces.includes(res.namespace)) return false;
  if (r.resources.length > 0 && !r.resources.some((gr) => groupResourcesMatch(gr, res))) return false;
  return true;
}

function pathMatches(pattern: string, path: string): boolean {
  return pattern.endsWith('*') ? path.startsWith(pattern.slice(0, -1)) : pattern === path;
}

function groupResourcesMatch(gr: GroupResources, res: NonNullable<AuditAttributes['resource']>): boolean {
  if (gr.group !== res.group) return false;
  if (gr.resourceNames.length > 0 && !gr.resourceNames.includes(res.name)) return false;
  if (gr.resources.length === 0) return true;
  const full = res.subresource ? `${res.resource}/${res.subresource}` : res.resource;
  return gr.resources.some((p) => {
    if (p === '*' || p === full) return true;
    if (p === `*/${res.subresource}` && res.subresource !== '') return true;
    return p === `${res.resource}/*` && res.subresource !== '';
  });
}

/**
 * A Policy document (YAML or JSON) as an AuditPolicy; throws an Error naming the first problem
 * (so a bad file stops the apiserver at start, as kube's does).
 */
export function parseAuditPolicy(text: string): AuditPolicy {
  const doc: unknown = parseYaml(text);
  if (!isPlainObject(doc)) throw new Error('audit policy: not a Policy object');
  if (doc.kind !== undefined && doc.kind !== 'Policy') throw new Error(`audit policy: kind ${String(doc.kind)}, want Policy`);
  if (!Array.isArray(doc.rules)) throw new Error('audit policy: rules must be a list');
  return { rules: doc.rules.map((r, i) => parseRule(r, `rules[${i}]`)) };
}

function parseRule(v: unknown, path: string): PolicyRule {
  if (!isPlainObject(v)) throw new Error(`audit policy: ${path} must be an object`);
  const level = v.level;
  if (!LEVELS.includes(level as AuditLevel)) throw new Error(`audit policy: ${path}.level must be one of ${LEVELS.join(', ')}`);
  const resources = v.resources === undefined ? [] : listOf(v.resources, `${path}.resources`);
  return rule({
    level: level as AuditLevel,
    users: strings(v.users, `${path}.users`),
    userGroups: strings(v.userGroups, `${path}.userGroups`),
    verbs: strings(v.verbs, `${path}.verbs`),
    namespaces: strings(v.namespaces, `${path}.namespaces`),
    nonResourceURLs: strings(v.nonResourceURLs, `${path}.nonResourceURLs`),
    resources: resources.map((gr, i) => {
      const p = `${path}.resources[${i}]`;
      if (!isPlainObject(gr)) throw new Error(`audit policy: ${p} must be an object`);
      if (gr.group !== undefined && typeof gr.group !== 'string') throw new Error(`audit policy: ${p}.group must be a string`);
      return { group: gr.group ?? '', resources: strings(gr.resources, `${p}.resources`), resourceNames: strings(gr.resourceNames, `${p}.resourceNames`) };
    }),
  });
}

function listOf(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`audit policy: ${path} must be a list`);
  return v;
}

function strings(v: unknown, path: string): string[] {
  if (v === undefined || v === null) return [];
  const items = listOf(v, path);
  if (!items.every((s) => typeof s === 'string')) throw new Error(`audit policy: ${path} must be a list of strings`);
  return items as string[];
}
