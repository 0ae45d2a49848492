import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

/**
 * The selector, patch and validation machinery is pure: the apiserver, scheduler and controllers
 * all call it, so it may not read clocks, draw random numbers, set timers or do I/O.
 */
const PURE = ['kube/labels', 'kube/fields', 'kube/patch', 'kube/validation'];
const BANNED: [RegExp, string][] = [
  [/\bDate\b/, 'Date'],
  [/Math\.random/, 'Math.random'],
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b/, 'timers'],
  [/from 'node:/, 'node: imports'],
  [/\bawait\b|\basync\b/, 'async code'],
  [/process\./, 'process'],
  [/from '\.\.\/\.\.\/apiserver|from '\.\.\/apiserver/, 'imports from apiserver/'],
];
const MAX_LINES = 400;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

t.test('the shared selector, patch and validation code uses no clock, randomness, timers or I/O', async (t) => {
  const found: string[] = [];
  for (const dir of PURE) {
    for (const file of tsFiles(dir)) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      for (const [re, what] of BANNED) if (re.test(code)) found.push(`${file}: ${what}`);
    }
  }
  t.same(found, []);
});

t.test(`no file of these folders grows past ${MAX_LINES} lines`, async (t) => {
  const big: string[] = [];
  for (const dir of PURE) {
    for (const file of tsFiles(dir)) {
      const lines = readFileSync(file, 'utf8').split('\n').length;
      if (lines > MAX_LINES) big.push(`${file}: ${lines} lines`);
    }
  }
  t.same(big, []);
});
