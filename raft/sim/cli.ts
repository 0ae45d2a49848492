import { parseArgs } from 'node:util';
import { Trace } from './trace.js';
import { runSeed } from './simulator.js';

/**
 * npm run sim -- --seeds N [--start S] | --seed S [--verbose]
 * Runs the simulation over seeds, prints each violation with the command that replays it, and
 * ends with `seeds=N violations=V`; exits non-zero on any violation.
 */
const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '100' },
    start: { type: 'string', default: '1' },
    seed: { type: 'string' },
    replicas: { type: 'string' },
    'no-faults': { type: 'boolean', default: false },
    'no-membership': { type: 'boolean', default: false },
    verbose: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log('usage: npm run sim -- [--seeds N] [--start S] [--seed S] [--replicas 3|5] [--no-faults] [--no-membership] [--verbose]');
  process.exit(0);
}

const seeds = values.seed !== undefined ? [Number(values.seed)] : Array.from({ length: Number(values.seeds) }, (_, i) => Number(values.start) + i);
let violations = 0;
const started = Date.now();
for (const seed of seeds) {
  const trace = new Trace(values.seed !== undefined ? 400 : 150);
  const replicas = values.replicas !== undefined ? Number(values.replicas) : seed % 2 === 0 ? 5 : 3;
  const report = runSeed(seed, { replicas, faults: !values['no-faults'], membershipChanges: !values['no-membership'] }, trace);
  if (report.violations.length > 0) {
    violations++;
    console.log(`seed ${seed}: VIOLATION`);
    for (const v of report.violations) console.log(`  ${v}`);
    console.log('  last events:');
    for (const line of report.trace.slice(-60)) console.log(`    ${line}`);
    const flags = `${values['no-faults'] ? ' --no-faults' : ''}${values['no-membership'] ? ' --no-membership' : ''}`;
    console.log(`  replay: npm run sim -- --seed ${seed} --replicas ${replicas}${flags} --verbose`);
  } else if (values.verbose || values.seed !== undefined) {
    console.log(`seed ${seed}: ok ${JSON.stringify(report.stats)}`);
  }
}
console.log(`seeds=${seeds.length} violations=${violations} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
process.exit(violations > 0 ? 1 : 0);
