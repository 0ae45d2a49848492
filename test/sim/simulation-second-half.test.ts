import t from 'tap';
import { simulateSeeds } from './run-seeds.js';

t.test('the cluster stays safe and live under every fault: seeds 251-500', async (t) => {
  simulateSeeds(t, 251, 250);
});
