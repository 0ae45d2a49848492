import { badRequest } from '../status.js';

/**
 * A list's continue token, in kube-apiserver's format: base64 of
 * `{"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key suffix>"}`. The revision pins every page
 * to the first page's snapshot; `start` is the next key relative to the list's prefix, so a
 * token from one resource or namespace cannot read another's keys.
 */
export interface ContinueToken {
  readonly revision: number;
  /** The full store key the next page starts at. */
  readonly startKey: string;
}

const TOKEN_VERSION = 'meta.k8s.io/v1';

export function encodeContinue(token: ContinueToken, prefix: string): string {
  const start = token.startKey.startsWith(prefix) ? token.startKey.slice(prefix.length) : token.startKey;
  return Buffer.from(JSON.stringify({ v: TOKEN_VERSION, rv: token.revision, start })).toString('base64url');
}

export function decodeContinue(text: string, prefix: string): ContinueToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: illegal base64 or JSON');
  }
  const p = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (p.v !== TOKEN_VERSION) throw badRequest(`continue key is not valid: server does not recognize this encoding`);
  if (typeof p.rv !== 'number' || !Number.isSafeInteger(p.rv) || p.rv <= 0)
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof p.start !== 'string' || p.start.includes('..') || p.start.startsWith('/'))
    throw badRequest('continue key is not valid: path traversal not allowed');
  return { revision: p.rv, startKey: prefix + p.start };
}
