import type { Compare, CompareResult, TxnOp } from '../raft/kv/types.js';

/**
 * Parses etcdctl's interactive txn syntax: compares, a blank line, success ops, a blank line,
 * failure ops. Compares: `value("k") = "v"`, `version("k") > "0"`, `create("k") = "0"`,
 * `mod("k") < "5"`, `lease("k") = "0"`. Ops: `put k v`, `get k`, `del k` (values may be quoted).
 */
export function parseTxnScript(text: string): { compare: Compare[]; success: TxnOp[]; failure: TxnOp[] } {
  const sections: string[][] = [[]];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '') {
      if (sections.length < 3) sections.push([]);
      continue;
    }
    (sections[sections.length - 1] as string[]).push(line);
  }
  const [cmp = [], ok = [], ko = []] = sections;
  return { compare: cmp.map(parseCompare), success: ok.map(parseOp), failure: ko.map(parseOp) };
}

const enc = new TextEncoder();

function parseCompare(line: string): Compare {
  const m = /^(value|version|create|mod|lease)\("([^"]*)"\)\s*(=|!=|<|>)\s*"([^"]*)"$/.exec(line);
  if (!m) throw new Error(`txn: cannot parse compare: ${line}`);
  const [, target, key, result, operand] = m as unknown as [string, string, string, CompareResult, string];
  if (target === 'value') return { key, target: 'value', result, operand: enc.encode(operand) };
  const map = { version: 'version', create: 'createRevision', mod: 'modRevision', lease: 'lease' } as const;
  const n = Number(operand);
  if (!Number.isSafeInteger(n)) throw new Error(`txn: ${target} compares a number, got ${operand}`);
  return { key, target: map[target as keyof typeof map], result, operand: n };
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1) : s;
}

function parseOp(line: string): TxnOp {
  const m = /^(put|get|del)\s+("[^"]*"|\S+)(?:\s+(.*))?$/.exec(line);
  if (!m) throw new Error(`txn: cannot parse operation: ${line}`);
  const [, op, keyRaw, rest] = m as unknown as [string, string, string, string | undefined];
  const key = unquote(keyRaw);
  if (op === 'put') {
    if (rest === undefined) throw new Error(`txn: put needs a value: ${line}`);
    return { t: 'put', key, value: enc.encode(unquote(rest.trim())) };
  }
  if (op === 'get') return { t: 'range', key };
  return { t: 'delete', key };
}
