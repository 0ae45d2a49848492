import type { Test } from 'tap';
import { runSeed } from '../../raft/sim/simulator.js';

/**
 * Runs the simulation over a range of seeds with every fault on and asserts that no seed finds
 * a violation. A failing seed is reported with the command that replays it.
 */
export function simulateSeeds(t: Test, first: number, count: number): void {
  const failures: string[] = [];
  let ops = 0;
  let crashes = 0;
  let partitions = 0;
  let snapshots = 0;
  let membership = 0;
  for (let seed = first; seed < first + count; seed++) {
    const replicas = seed % 2 === 0 ? 5 : 3;
    const report = runSeed(seed, { replicas });
    ops += report.stats.opsSucceeded;
    crashes += report.stats.crashes;
    partitions += report.stats.partitions;
    snapshots += report.stats.snapshotsInstalled;
    membership += report.stats.membershipChanges;
    if (report.violations.length > 0) {
      failures.push(`seed ${seed}: ${report.violations.join('; ')}\n  replay: npm run sim -- --seed ${seed} --replicas ${replicas}`);
    }
  }
  t.same(failures, [], `seeds ${first}..${first + count - 1} keep every invariant and are linearizable`);
  // The faults must really have happened, or a clean run proves nothing.
  t.ok(crashes > count, `crashes happened (${crashes})`);
  t.ok(partitions > count, `partitions happened (${partitions})`);
  t.ok(snapshots > 0, `snapshots were installed (${snapshots})`);
  t.ok(membership > 0, `membership changed (${membership})`);
  t.ok(ops > count * 100, `clients completed operations (${ops})`);
}
