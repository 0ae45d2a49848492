import t from 'tap';
import { backoffDelayMs, NO_BACKOFF, remainingBackoffMs, updateBackoff } from '../../../controllers/job-backoff.js';
import type { Pod } from '../../../controllers/workload-types.js';

const T0 = Date.UTC(2026, 0, 1);

function finished(phase: 'Succeeded' | 'Failed', atMs: number): Pod {
  const at = `${new Date(atMs).toISOString().slice(0, 19)}Z`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${atMs}` },
    status: { phase, containerStatuses: [{ name: 'main', state: { terminated: { finishedAt: at } } }] },
  };
}

t.test('the back-off starts at 10 s and doubles up to 6 minutes', async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelayMs(n) / 1000),
    [0, 10, 20, 40, 80, 160, 320, 360, 360],
  );
});

t.test('the remaining back-off counts from when the last failed pod finished', async (t) => {
  const record = updateBackoff(NO_BACKOFF, [], [finished('Failed', T0), finished('Failed', T0 + 5_000)], T0 + 6_000);
  t.same(record, { failuresAfterLastSuccess: 2, lastFailureMs: T0 + 5_000 });
  t.equal(remainingBackoffMs(record, T0 + 6_000), 19_000);
  t.equal(remainingBackoffMs(record, T0 + 25_000), 0);
});

t.test('a success after the failures resets the count; failures after it count again', async (t) => {
  const failing = updateBackoff(NO_BACKOFF, [], [finished('Failed', T0)], T0);
  const reset = updateBackoff(failing, [finished('Succeeded', T0 + 1_000)], [], T0 + 1_000);
  t.equal(reset.failuresAfterLastSuccess, 0);
  t.equal(remainingBackoffMs(reset, T0 + 1_000), 0);
  const again = updateBackoff(reset, [finished('Succeeded', T0 + 2_000)], [finished('Failed', T0 + 1_500), finished('Failed', T0 + 3_000)], T0 + 3_000);
  t.same(again, { failuresAfterLastSuccess: 1, lastFailureMs: T0 + 3_000 }, 'only the failure after the newest success counts');
});
