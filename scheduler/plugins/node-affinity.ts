import { isPlainObject } from '../../kube/object.js';
import type { CycleState, FilterPlugin, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/interfaces.js';
import type { NodeInfo } from '../framework/node-info.js';
import { defaultNormalizeScore } from '../framework/normalize.js';
import type { PodInfo } from '../framework/pod-info.js';
import { SKIP, SUCCESS, type Status, unresolvable } from '../framework/status.js';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";

const REJECTED = unresolvable(NODE_AFFINITY, ERR_REASON_NODE_AFFINITY);

/** One requirement, checked once when compiled: an invalid one makes its whole term match nothing. */
interface CompiledRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  readonly values: ReadonlySet<string>;
  readonly bound: number;
}

/** A NodeSelectorTerm: all its requirements must hold. `undefined` terms (empty or invalid) match nothing. */
export interface CompiledTerm {
  readonly labels: readonly CompiledRequirement[];
  /** `metadata.name` In/NotIn. */
  readonly fields: readonly CompiledRequirement[];
}

interface FilterState {
  /** `spec.nodeSelector` pairs, all of which must match. */
  readonly selector: readonly (readonly [string, string])[];
  /** Required terms (ORed); undefined when the pod has none. */
  readonly required: readonly (CompiledTerm | undefined)[] | undefined;
}

interface ScoreState {
  readonly preferred: readonly { readonly weight: number; readonly term: CompiledTerm | undefined }[];
}

const INTEGER = /^[+-]?[0-9]+$/;

function compileRequirement(r: unknown, fields: boolean): CompiledRequirement | undefined {
  if (!isPlainObject(r) || typeof r.key !== 'string' || typeof r.operator !== 'string') return undefined;
  const values = Array.isArray(r.values) ? r.values.filter((v): v is string => typeof v === 'string') : [];
  if (Array.isArray(r.values) && values.length !== r.values.length) return undefined;
  const op = r.operator;
  if (fields) {
    // Node field selectors support metadata.name only, In/NotIn with exactly one value.
    if (r.key !== 'metadata.name' || (op !== 'In' && op !== 'NotIn') || values.length !== 1) return undefined;
    return { key: r.key, operator: op, values: new Set(values), bound: 0 };
  }
  switch (op) {
    case 'In':
    case 'NotIn':
      return values.length > 0 ? { key: r.key, operator: op, values: new Set(values), bound: 0 } : undefined;
    case 'Exists':
    case 'DoesNotExist':
      return values.length === 0 ? { key: r.key, operator: op, values: new Set(), bound: 0 } : undefined;
    case 'Gt':
    case 'Lt': {
      const [v] = values;
      if (values.length !== 1 || v === undefined || !INTEGER.test(v)) return undefined;
      return { key: r.key, operator: op, values: new Set(), bound: Number(v) };
    }
    default:
      return undefined;
  }
}

/** Compile a NodeSelectorTerm; undefined when it is empty or any requirement is invalid (it then matches no node). */
export function compileTerm(term: unknown): CompiledTerm | undefined {
  if (!isPlainObject(term)) return undefined;
  const exprs = Array.isArray(term.matchExpressions) ? term.matchExpressions : [];
  const fieldExprs = Array.isArray(term.matchFields) ? term.matchFields : [];
  if (exprs.length === 0 && fieldExprs.length === 0) return undefined;
  const labels: CompiledRequirement[] = [];
  const fields: CompiledRequirement[] = [];
  for (const e of exprs) {
    const r = compileRequirement(e, false);
    if (!r) return undefined;
    labels.push(r);
  }
  for (const e of fieldExprs) {
    const r = compileRequirement(e, true);
    if (!r) return undefined;
    fields.push(r);
  }
  return { labels, fields };
}

function requirementMatches(r: CompiledRequirement, value: string | undefined): boolean {
  switch (r.operator) {
    case 'In':
      return value !== undefined && r.values.has(value);
    case 'NotIn':
      return value === undefined || !r.values.has(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || !INTEGER.test(value)) return false;
      const n = Number(value);
      return r.operator === 'Gt' ? n > r.bound : n < r.bound;
    }
  }
}

export function termMatches(term: CompiledTerm | undefined, node: NodeInfo): boolean {
  if (!term) return false;
  for (const r of term.labels) if (!requirementMatches(r, Object.hasOwn(node.labels, r.key) ? node.labels[r.key] : undefined)) return false;
  for (const r of term.fields) if (!requirementMatches(r, node.name)) return false;
  return true;
}

/**
 * NodeAffinity: Filter requires every `spec.nodeSelector` label and, when the pod has required
 * node affinity, at least one of its terms (terms are ORed, a term's requirements ANDed; an
 * empty or invalid term matches nothing). Score sums the weights of the preferred terms a node
 * matches, normalised so the best node gets MAX_NODE_SCORE.
 */
export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;

  preFilter(state: CycleState, pod: PodInfo): Status {
    const spec = isPlainObject(pod.pod.spec) ? pod.pod.spec : {};
    const selector = isPlainObject(spec.nodeSelector)
      ? Object.entries(spec.nodeSelector).map(([k, v]) => [k, typeof v === 'string' ? v : '\u0000not-a-string'] as const)
      : [];
    const nodeAffinity = isPlainObject(spec.affinity) && isPlainObject(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : undefined;
    const requiredSpec = nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    const required = isPlainObject(requiredSpec)
      ? (Array.isArray(requiredSpec.nodeSelectorTerms) ? requiredSpec.nodeSelectorTerms : []).map(compileTerm)
      : undefined;
    if (selector.length === 0 && required === undefined) return SKIP;
    state.write(this.name, { selector, required } satisfies FilterState);
    return SUCCESS;
  }

  filter(state: CycleState, _pod: PodInfo, node: NodeInfo): Status {
    const s = state.read<FilterState>(this.name);
    if (!s) return SUCCESS;
    for (const [k, v] of s.selector) if (node.labels[k] !== v) return REJECTED;
    if (s.required !== undefined && !s.required.some((t) => termMatches(t, node))) return REJECTED;
    return SUCCESS;
  }

  preScore(state: CycleState, pod: PodInfo): Status {
    const spec = isPlainObject(pod.pod.spec) ? pod.pod.spec : {};
    const nodeAffinity = isPlainObject(spec.affinity) && isPlainObject(spec.affinity.nodeAffinity) ? spec.affinity.nodeAffinity : undefined;
    const terms =
      nodeAffinity && Array.isArray(nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution)
        ? nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution
        : [];
    const preferred: ScoreState['preferred'][number][] = [];
    for (const t of terms) {
      if (!isPlainObject(t) || typeof t.weight !== 'number' || t.weight === 0) continue;
      preferred.push({ weight: t.weight, term: compileTerm(t.preference) });
    }
    if (preferred.length === 0) return SKIP;
    state.write(`${this.name}/score`, { preferred } satisfies ScoreState);
    return SUCCESS;
  }

  score(state: CycleState, _pod: PodInfo, node: NodeInfo): number {
    const s = state.read<ScoreState>(`${this.name}/score`);
    let sum = 0;
    if (s) for (const p of s.preferred) if (termMatches(p.term, node)) sum += p.weight;
    return sum;
  }

  normalizeScore(_state: CycleState, _pod: PodInfo, _nodes: readonly NodeInfo[], scores: number[]): void {
    defaultNormalizeScore(scores, false);
  }
}
