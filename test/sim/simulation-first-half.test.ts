import t from 'tap';
import { simulateSeeds } from './run-seeds.js';

t.test('the cluster stays safe and live under every fault: seeds 1-250', async (t) => {
  simulateSeeds(t, 1, 250);
});
