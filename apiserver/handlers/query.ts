import { badRequest } from '../status.js';

/**
 * Query parameters as client-go encodes them (kubectl-protocol.md §0.4), read into typed values
 * once; a malformed number or enum is a 400 before anything else happens.
 */
export type Query = Readonly<Record<string, string | string[] | undefined>>;

export function queryString(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

export function queryBool(q: Query, name: string): boolean {
  const v = queryString(q, name);
  if (v === undefined || v === '') return false;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)} (expected true or false)`);
}

export function queryInt(q: Query, name: string, min = 0): number | undefined {
  const v = queryString(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`invalid value for ${name}: ${JSON.stringify(v)} (expected an integer)`);
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min) throw badRequest(`invalid value for ${name}: ${v} (must be at least ${min})`);
  return n;
}

/** `resourceVersion` as a revision: '' → undefined, "0" → 0, otherwise a positive integer or 400. */
export function queryResourceVersion(q: Query): number | undefined {
  const v = queryString(q, 'resourceVersion');
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw badRequest(`invalid resource version "${v}"`);
  return Number(v);
}

export type ResourceVersionMatch = 'NotOlderThan' | 'Exact' | undefined;

export function queryResourceVersionMatch(q: Query, rv: number | undefined): ResourceVersionMatch {
  const v = queryString(q, 'resourceVersionMatch');
  if (v === undefined || v === '') return undefined;
  if (v !== 'NotOlderThan' && v !== 'Exact') throw badRequest(`resourceVersionMatch: Unsupported value: "${v}": supported values: "Exact", "NotOlderThan"`);
  if (rv === undefined) throw badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (v === 'Exact' && rv === 0) throw badRequest('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is forbidden for resourceVersion "0"');
  return v;
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

/** kube-apiserver's default is Warn; kubectl sends Strict by default. */
export function queryFieldValidation(q: Query): FieldValidation {
  const v = queryString(q, 'fieldValidation');
  if (v === undefined || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(`fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`);
}

export function queryDryRun(q: Query): boolean {
  const raw = q.dryRun;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}
