import t from 'tap';
import { humanDuration, timestampAge } from '../../../../apiserver/table/human-duration.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

t.test("ages read as apimachinery's HumanDuration prints them", async (t) => {
  // Upstream's own table (duration_test.go) first, then the edges of each precision band.
  const cases: [number, string][] = [
    [S, '1s'],
    [70 * S, '70s'],
    [190 * S, '3m10s'],
    [70 * M, '70m'],
    [47 * H, '47h'],
    [49 * H, '2d1h'],
    [(8 * 24 + 2) * H, '8d'],
    [367 * D, '367d'],
    [(365 * 2 * 24 + 25) * H, '2y1d'],
    [(365 * 8 * 24 + 2) * H, '8y'],
    [0, '0s'],
    [999, '0s'],
    [59 * S, '59s'],
    [119 * S, '119s'],
    [120 * S, '2m'],
    [5 * M + 30 * S, '5m30s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 59 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [5 * H + 3 * M, '5h3m'],
    [7 * H + 59 * M, '7h59m'],
    [8 * H + 30 * M, '8h'],
    [20 * H, '20h'],
    [3 * D + 4 * H, '3d4h'],
    [7 * D, '7d'],
    [45 * D, '45d'],
    [2 * 365 * D + 10 * D, '2y10d'],
    [3 * 365 * D, '3y'],
    [20 * 365 * D, '20y'],
  ];
  for (const [ms, want] of cases) t.equal(humanDuration(ms), want, `${ms} ms`);
});

t.test('a clock up to two seconds behind reads as now, further behind as <invalid>', async (t) => {
  t.equal(humanDuration(-1999), '0s');
  t.equal(humanDuration(-1000), '0s');
  t.equal(humanDuration(-2000), '<invalid>');
  t.equal(humanDuration(-60 * S), '<invalid>');
});

t.test('a missing or unparsable timestamp has an <unknown> age', async (t) => {
  const now = Date.parse('2026-11-27T05:10:45Z');
  t.equal(timestampAge('2026-11-27T05:05:15Z', now), '5m30s');
  t.equal(timestampAge('2026-11-27T05:10:44.500000Z', now), '0s');
  t.equal(timestampAge(undefined, now), '<unknown>');
  t.equal(timestampAge(null, now), '<unknown>');
  t.equal(timestampAge('', now), '<unknown>');
  t.equal(timestampAge('yesterday', now), '<unknown>');
});
