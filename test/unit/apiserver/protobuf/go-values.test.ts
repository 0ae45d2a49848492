import t from 'tap';
import { formatGoDuration, formatMicroTime, formatTime } from '../../../../apiserver/protobuf/go-values.js';

/** Go's time.Duration(n).String() for each n, as printed by Go itself. */
const durations: [bigint, string][] = [
  [0n, '0s'],
  [1n, '1ns'],
  [999n, '999ns'],
  [1_500n, '1.5µs'],
  [1_500_000n, '1.5ms'],
  [1_000_000_000n, '1s'],
  [1_500_000_000n, '1.5s'],
  [60_000_000_000n, '1m0s'],
  [90_000_000_000n, '1m30s'],
  [3_600_000_000_000n, '1h0m0s'],
  [3_723_500_000_000n, '1h2m3.5s'],
  [-2_000_000_000n, '-2s'],
  [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
];

t.test('a Duration prints as Go prints time.Duration', async (t) => {
  for (const [nanos, text] of durations) t.equal(formatGoDuration(nanos), text, `${nanos}ns`);
});

t.test('a Time prints as RFC 3339 in UTC with whole seconds', async (t) => {
  t.equal(formatTime(1700000000n), '2023-11-14T22:13:20Z');
  t.equal(formatTime(0n), '1970-01-01T00:00:00Z');
  t.equal(formatTime(-62135596800n), '0001-01-01T00:00:00Z');
});

t.test('a MicroTime prints six fractional digits and carries nanoseconds past a second into the seconds', async (t) => {
  t.equal(formatMicroTime(1700000000n, 123456789n), '2023-11-14T22:13:20.123456Z');
  t.equal(formatMicroTime(1700000000n, 0n), '2023-11-14T22:13:20.000000Z');
  t.equal(formatMicroTime(1700000000n, 1_500_000_000n), '2023-11-14T22:13:21.500000Z');
  t.equal(formatMicroTime(1700000000n, -1_000n), '2023-11-14T22:13:19.999999Z');
});

t.test('a time outside the years 0000-9999 is refused, as Go refuses to marshal it', async (t) => {
  t.throws(() => formatTime(253402300800n), /outside the years 0000-9999/);
  t.throws(() => formatMicroTime(-62167219201n, 0n), /outside the years 0000-9999/);
});
