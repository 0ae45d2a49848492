import t from 'tap';
import {
  computePodRequests,
  DEFAULT_MEMORY_REQUEST,
  DEFAULT_MILLI_CPU_REQUEST,
  parseAllocatable,
  quantityMilli,
  quantityValue,
} from '../../../scheduler/framework/resources.js';

t.test('CPU quantities read as millicores, rounded up as MilliValue rounds', async (t) => {
  const cases: [unknown, number | undefined][] = [
    ['100m', 100],
    ['2', 2000],
    ['0.1', 100],
    ['1.5', 1500],
    ['0.0001', 1],
    ['250u', 1],
    ['1k', 1_000_000],
    ['1e3', 1_000_000],
    [2, 2000],
    [0.5, 500],
    ['', undefined],
    ['abc', undefined],
    ['1.2.3', undefined],
    ['-1', 0],
    [null, undefined],
  ];
  for (const [q, want] of cases) t.equal(quantityMilli(q), want, JSON.stringify(q));
});

t.test('memory quantities read as bytes, binary and decimal suffixes', async (t) => {
  const cases: [unknown, number | undefined][] = [
    ['128Mi', 128 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1.5Gi', 1.5 * 2 ** 30],
    ['500M', 5e8],
    ['1000', 1000],
    ['100m', 1],
    ['64Ki', 65536],
    ['2Ti', 2 * 2 ** 40],
    ['1e9', 1e9],
  ];
  for (const [q, want] of cases) t.equal(quantityValue(q), want, JSON.stringify(q));
});

t.test('a pod requests the sum of its containers, raised to its largest init container, plus overhead', async (t) => {
  const r = computePodRequests({
    initContainers: [
      { name: 'i1', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'i2', resources: { requests: { cpu: '2', memory: '3G' } } },
    ],
    containers: [
      { name: 'c1', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'c2', resources: { requests: { cpu: '1', memory: '1G' } } },
    ],
    overhead: { cpu: '250m' },
  });
  t.equal(r.requests.milliCpu, 3250, 'cpu: max(3, 2) + 0.25');
  t.equal(r.requests.memory, 3e9, 'memory: max(2G, 3G)');
});

t.test('sidecar init containers add to the sum and to every init container that starts after them', async (t) => {
  const r = computePodRequests({
    initContainers: [
      { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
      { name: 'setup', resources: { requests: { cpu: '2' } } },
    ],
    containers: [{ name: 'app', resources: { requests: { cpu: '1' } } }],
  });
  t.equal(r.requests.milliCpu, 2500, 'max(1 + 0.5, 2 + 0.5)');
});

t.test('containers without requests count as 100m and 200 MB for scoring, but not for fitting', async (t) => {
  const r = computePodRequests({ containers: [{ name: 'a' }, { name: 'b', resources: { requests: { cpu: '300m' } } }] });
  t.equal(r.requests.milliCpu, 300);
  t.equal(r.requests.memory, 0);
  t.equal(r.nonZeroMilliCpu, DEFAULT_MILLI_CPU_REQUEST + 300);
  t.equal(r.nonZeroMemory, 2 * DEFAULT_MEMORY_REQUEST);
  t.equal(DEFAULT_MEMORY_REQUEST, 200 * 1024 * 1024);
});

t.test('extended resources are counted as scalars; unknown names are ignored', async (t) => {
  const r = computePodRequests({ containers: [{ name: 'a', resources: { requests: { 'nvidia.com/gpu': '2', 'hugepages-2Mi': '4Mi', bogus: '7' } } }] });
  t.same(Object.fromEntries(r.requests.scalars ?? []), { 'nvidia.com/gpu': 2, 'hugepages-2Mi': 4 * 2 ** 20 });
});

t.test('malformed pod specs read as requesting nothing instead of throwing', async (t) => {
  for (const spec of [
    undefined,
    null,
    7,
    { containers: 'x' },
    { containers: [null, 3, { resources: 'no' }] },
    { containers: [{ resources: { requests: { cpu: {} } } }] },
  ]) {
    const r = computePodRequests(spec);
    t.equal(r.requests.milliCpu, 0, JSON.stringify(spec));
  }
});

t.test('allocatable reads pods as a count', async (t) => {
  const a = parseAllocatable({ cpu: '4', memory: '8Gi', pods: '110', 'example.com/dongle': '3' });
  t.equal(a.milliCpu, 4000);
  t.equal(a.memory, 8 * 2 ** 30);
  t.equal(a.pods, 110);
  t.equal(a.scalars?.get('example.com/dongle'), 3);
  t.equal(parseAllocatable(undefined).pods, 0);
});
