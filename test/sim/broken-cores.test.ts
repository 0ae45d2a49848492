import t from 'tap';
import { runSeed } from '../../raft/sim/simulator.js';
import { BROKEN_CORES } from './broken-cores.js';

// The simulation is only worth its green runs if it turns red on a broken core.
const SEED_BOUND = 200;

for (const [name, makeRawNode] of Object.entries(BROKEN_CORES)) {
  t.test(`the simulation catches a core that ${name} within ${SEED_BOUND} seeds`, async (t) => {
    let caughtAt: number | undefined;
    let violation = '';
    for (let seed = 1; seed <= SEED_BOUND && caughtAt === undefined; seed++) {
      const report = runSeed(seed, { replicas: seed % 2 === 0 ? 5 : 3, makeRawNode });
      if (report.violations.length > 0) {
        caughtAt = seed;
        violation = report.violations[0] ?? '';
      }
    }
    t.not(caughtAt, undefined, `caught at seed ${caughtAt}: ${violation}`);
  });
}
