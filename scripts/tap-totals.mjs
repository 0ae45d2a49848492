// Reads tap's TAP output and prints the closing line CI looks for: "N passed, N failed".
// Every "ok"/"not ok" point counts, at every depth: assertions and the tests that hold them.
import { readFileSync } from 'node:fs';

const text = readFileSync(process.argv[2] ?? 0, 'utf8');
let passed = 0;
let failed = 0;
let skipped = 0;
for (const line of text.split('\n')) {
  const m = /^\s*(not )?ok \d+\b(.*)$/.exec(line);
  if (!m) continue;
  if (/#\s*(SKIP|TODO)\b/i.test(m[2] ?? '')) skipped++;
  else if (m[1]) failed++;
  else passed++;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
