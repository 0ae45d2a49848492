import type { UserInfo } from '../auth/user-info.js';
import type { AuthorizationAttributes } from './authorizer.js';

/**
 * RBAC's pure rule logic (kube's plugin/pkg/auth/authorizer/rbac/rbac.go and
 * pkg/registry/rbac/validation/policy_comparator.go): whether a PolicyRule allows a request,
 * whether a binding's subject is a user, and whether one set of rules covers another (the
 * escalation check). No I/O: the authorizer feeds it rules it read from the watch caches.
 */

/** rbac.authorization.k8s.io/v1 PolicyRule, as stored (absent lists are empty). */
export interface PolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

export interface Subject {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly apiGroup?: string;
}

export const ALL = '*';

function hasOrAll(list: readonly string[] | undefined, value: string): boolean {
  return (list ?? []).some((v) => v === ALL || v === value);
}

/**
 * kube's ResourceMatches: `*` matches every resource and subresource; `pods/log` matches that
 * subresource; `*\/scale` matches the scale subresource of any resource. `pods` alone does not
 * match `pods/log`.
 */
export function resourceMatches(rule: PolicyRule, resource: string, subresource: string): boolean {
  const combined = subresource === '' ? resource : `${resource}/${subresource}`;
  for (const r of rule.resources ?? []) {
    if (r === ALL || r === combined) return true;
    if (subresource !== '' && r === `*/${subresource}`) return true;
  }
  return false;
}

/** An empty resourceNames list matches every name; a non-empty one only those names (so never a list or a create, which carry none). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  const names = rule.resourceNames ?? [];
  return names.length === 0 || names.includes(name);
}

/** `/healthz` matches itself; `/apis/*` matches every path under `/apis/`; `*` matches every path. */
export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const u of rule.nonResourceURLs ?? []) {
    if (u === ALL || u === path) return true;
    if (u.endsWith('*') && path.startsWith(u.slice(0, -1))) return true;
  }
  return false;
}

/** Whether one rule allows a request (kube's RuleAllows). */
export function ruleAllows(rule: PolicyRule, attrs: AuthorizationAttributes): boolean {
  if (!hasOrAll(rule.verbs, attrs.verb)) return false;
  if (attrs.kind === 'nonResource') return nonResourceURLMatches(rule, attrs.path);
  return hasOrAll(rule.apiGroups, attrs.apiGroup) && resourceMatches(rule, attrs.resource, attrs.subresource) && resourceNameMatches(rule, attrs.name);
}

/** The user name a ServiceAccount authenticates as. */
export function serviceAccountUsername(namespace: string, name: string): string {
  return `system:serviceaccount:${namespace}:${name}`;
}

/**
 * Whether a binding's subject is this user (kube's appliesToUser). A ServiceAccount subject
 * without a namespace means one in the binding's own namespace (`bindingNamespace`, '' for a
 * ClusterRoleBinding, where it then matches nobody).
 */
export function subjectMatches(subject: Subject, user: UserInfo, bindingNamespace: string): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(subject.name);
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns !== '' && serviceAccountUsername(ns, subject.name) === user.name;
    }
    default:
      return false;
  }
}

// ---- escalation: does one set of rules cover another (policy_comparator.go) -------------------

function hasAll(set: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  const s = set ?? [];
  return (wanted ?? []).every((w) => s.includes(w));
}

function resourcesCoverAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  const set = owner ?? [];
  if (set.includes(ALL) || hasAll(set, wanted)) return true;
  for (const path of wanted ?? []) {
    if (set.includes(path)) continue;
    const slash = path.indexOf('/');
    if (slash < 0 || !set.includes(`*/${path.slice(slash + 1)}`)) return false;
  }
  return true;
}

function nonResourceURLsCoverAll(owner: readonly string[] | undefined, wanted: readonly string[] | undefined): boolean {
  return (wanted ?? []).every((w) => (owner ?? []).some((o) => o === w || (o.endsWith('*') && w.startsWith(o.slice(0, -1)))));
}

/** kube's ruleCovers: `owner` allows everything `sub` (a broken-down rule) allows. A `*` in `sub` is only covered by a `*` in `owner`. */
function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const verbs = hasOrAllStar(owner.verbs) || hasAll(owner.verbs, sub.verbs);
  const groups = hasOrAllStar(owner.apiGroups) || hasAll(owner.apiGroups, sub.apiGroups);
  const resources = resourcesCoverAll(owner.resources, sub.resources);
  const urls = nonResourceURLsCoverAll(owner.nonResourceURLs, sub.nonResourceURLs);
  const ownerNames = owner.resourceNames ?? [];
  const subNames = sub.resourceNames ?? [];
  const names = subNames.length === 0 ? ownerNames.length === 0 : ownerNames.length === 0 || hasAll(ownerNames, subNames);
  return verbs && groups && resources && names && urls;
}

function hasOrAllStar(list: readonly string[] | undefined): boolean {
  return (list ?? []).includes(ALL);
}

/** One rule per (group, resource, verb[, name]) and per (URL, verb): kube's BreakdownRule. */
export function breakdownRule(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  for (const group of rule.apiGroups ?? []) {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs) {
        const names = rule.resourceNames ?? [];
        if (names.length === 0) out.push({ apiGroups: [group], resources: [resource], verbs: [verb] });
        for (const name of names) out.push({ apiGroups: [group], resources: [resource], resourceNames: [name], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs ?? []) for (const verb of rule.verbs) out.push({ nonResourceURLs: [url], verbs: [verb] });
  return out;
}

/** The parts of `wanted` that no rule of `owner` covers (empty: `owner` covers `wanted`). */
export function uncoveredRules(owner: readonly PolicyRule[], wanted: readonly PolicyRule[]): PolicyRule[] {
  const missing: PolicyRule[] = [];
  for (const rule of wanted) for (const sub of breakdownRule(rule)) if (!owner.some((o) => ruleCovers(o, sub))) missing.push(sub);
  return missing;
}

/** Go's `%q` of a []string: `["a" "b"]`. */
export function goQuotedList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** kube's rbacv1helpers.CompactString: `{APIGroups:[""], Resources:["pods"], Verbs:["get"]}`. */
export function compactRule(rule: PolicyRule): string {
  const parts: string[] = [];
  if ((rule.apiGroups ?? []).length > 0) parts.push(`APIGroups:${goQuotedList(rule.apiGroups ?? [])}`);
  if ((rule.resources ?? []).length > 0) parts.push(`Resources:${goQuotedList(rule.resources ?? [])}`);
  if ((rule.nonResourceURLs ?? []).length > 0) parts.push(`NonResourceURLs:${goQuotedList(rule.nonResourceURLs ?? [])}`);
  if ((rule.resourceNames ?? []).length > 0) parts.push(`ResourceNames:${goQuotedList(rule.resourceNames ?? [])}`);
  if (rule.verbs.length > 0) parts.push(`Verbs:${goQuotedList(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** Reads a stored rule list leniently (validation has already refused bad ones). */
export function rulesOf(value: unknown): PolicyRule[] {
  if (!Array.isArray(value)) return [];
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return value
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null)
    .map((r) => ({
      verbs: strings(r.verbs),
      apiGroups: strings(r.apiGroups),
      resources: strings(r.resources),
      resourceNames: strings(r.resourceNames),
      nonResourceURLs: strings(r.nonResourceURLs),
    }));
}

/** Reads a binding's subjects leniently. */
export function subjectsOf(value: unknown): Subject[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((s): s is Record<string, unknown> => typeof s === 'object' && s !== null && typeof s.kind === 'string' && typeof s.name === 'string')
    .map((s) => ({ kind: s.kind as string, name: s.name as string, ...(typeof s.namespace === 'string' ? { namespace: s.namespace } : {}) }));
}
