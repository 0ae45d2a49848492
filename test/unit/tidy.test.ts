import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

/**
 * The pure folders must stay pure: no clock, no ambient randomness, no timers, no I/O. That is
 * what lets the simulator own time, randomness, network and disk and replay a run from a seed.
 */
const PURE = [
  'raft/core',
  'raft/sim',
  'kube/labels',
  'kube/fields',
  'kube/patch',
  'kube/validation',
  'kube/schema',
  'scheduler/framework',
  'scheduler/plugins',
];
const IMPURE_FILES = new Set(['raft/sim/cli.ts', 'raft/sim/figures.ts']);
const BANNED: [RegExp, string][] = [
  [/\bDate\b/, 'Date'],
  [/Math\.random/, 'Math.random'],
  [/\bsetTimeout\b|\bsetInterval\b|\bsetImmediate\b/, 'timers'],
  [/from 'node:/, 'node: imports'],
  [/\bawait\b|\basync\b/, 'async code'],
  [/process\./, 'process'],
];
/** kube/ is shared by every component, so it must not lean on any one of them (DESIGN.md: dependencies point one way). */
const KUBE_BANNED: [RegExp, string][] = [[/from '(\.\.\/)+(apiserver|scheduler|controllers|nodeagent)\//, 'imports from a component']];
const MAX_LINES = 750;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

t.test("the Raft core, the simulator, kube/'s pure parts and the scheduler's plugins use no clock, randomness, timers or I/O of their own", async (t) => {
  const found: string[] = [];
  for (const dir of PURE) {
    for (const file of tsFiles(dir)) {
      if (IMPURE_FILES.has(file)) continue;
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      const rules = file.startsWith('kube/') ? [...BANNED, ...KUBE_BANNED] : BANNED;
      for (const [re, what] of rules) if (re.test(code)) found.push(`${file}: ${what}`);
    }
  }
  t.same(found, []);
});

t.test(`no source file grows past ${MAX_LINES} lines`, async (t) => {
  const big: string[] = [];
  for (const dir of ['raft', 'kube', 'apiserver', 'scheduler', 'controllers', 'nodeagent', 'scripts']) {
    for (const file of tsFiles(dir)) {
      const lines = readFileSync(file, 'utf8').split('\n').length;
      if (lines > MAX_LINES) big.push(`${file}: ${lines} lines`);
    }
  }
  t.same(big, []);
});

t.test('components reach the apiserver only over HTTP, and kube/ leans on no component', async (t) => {
  const found: string[] = [];
  const rules: [string, RegExp][] = [
    ['scheduler', /from '(\.\.\/)+(apiserver|raft|controllers|nodeagent)\//],
    ['controllers', /from '(\.\.\/)+(apiserver|raft|scheduler|nodeagent)\//],
    ['nodeagent', /from '(\.\.\/)+(apiserver|raft|scheduler|controllers)\//],
    ['kube', /from '(\.\.\/)+(apiserver|raft|scheduler|controllers|nodeagent)\//],
  ];
  for (const [dir, re] of rules) for (const file of tsFiles(dir)) if (re.test(readFileSync(file, 'utf8'))) found.push(file);
  t.same(found, []);
});
