import t from 'tap';
import { parseQuantityNanos } from '../../../../kube/quantity/quantity.js';

t.test('quantities read as exact nano-units in every suffix form', async (t) => {
  const cases: [unknown, bigint | undefined][] = [
    ['1', 1_000_000_000n],
    [1, 1_000_000_000n],
    ['500m', 500_000_000n],
    ['0.5', 500_000_000n],
    ['.5', 500_000_000n],
    ['1Ki', 1024_000_000_000n],
    ['128Mi', 128n * 1024n * 1024n * 1_000_000_000n],
    ['1G', 1_000_000_000_000_000_000n],
    ['2e3', 2_000_000_000_000n],
    ['1E-3', 1_000_000n],
    ['1n', 1n],
    ['0.1n', 1n],
    ['-1', -1_000_000_000n],
    ['+2k', 2_000_000_000_000n],
    ['', undefined],
    ['1.2.3', undefined],
    ['1Qi', undefined],
    [' 1', undefined],
    ['abc', undefined],
    [null, undefined],
  ];
  for (const [input, want] of cases) t.equal(parseQuantityNanos(input), want, JSON.stringify(input));
});

t.test('equal amounts written differently compare equal', async (t) => {
  t.equal(parseQuantityNanos('0.5'), parseQuantityNanos('500m'));
  t.equal(parseQuantityNanos('1Gi'), parseQuantityNanos('1073741824'));
  t.equal(parseQuantityNanos('1k'), parseQuantityNanos('1e3'));
});
