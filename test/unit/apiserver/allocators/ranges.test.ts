import fc from 'fast-check';
import t from 'tap';
import { NodePortRange, PortRangeError } from '../../../../apiserver/allocators/node-port-allocator.js';
import { CidrError, ServiceIpRange } from '../../../../apiserver/allocators/service-ip-allocator.js';
import { seededRng } from '../../../../raft/core/rng.js';

t.test('a service CIDR hands out every address but the network and broadcast ones', async (t) => {
  const r = ServiceIpRange.parse('10.96.0.0/12');
  t.equal(r.cidr, '10.96.0.0/12');
  t.equal(r.first, '10.96.0.1');
  t.equal(r.size, 2 ** 20 - 2);
  t.ok(r.contains('10.96.0.1'));
  t.ok(r.contains('10.111.255.254'));
  t.notOk(r.contains('10.96.0.0'), 'network address');
  t.notOk(r.contains('10.111.255.255'), 'broadcast address');
  t.notOk(r.contains('10.112.0.1'));
  t.notOk(r.contains('not-an-ip'));
  t.notOk(r.contains('10.96.0.256'));
});

t.test('a malformed, host-bit or too small CIDR is refused', async (t) => {
  for (const bad of ['10.96.0.0', '10.96.0.1/12', '10.96.0.0/33', '300.0.0.0/8', '10.0.0.0/31', 'fd00::/108']) {
    t.throws(() => ServiceIpRange.parse(bad), CidrError, bad);
  }
});

t.test('a dynamic pick avoids the static band at the start of the range until the rest is full', async (t) => {
  const r = ServiceIpRange.parse('10.0.0.0/24');
  t.equal(r.staticBandSize, 16);
  const rng = seededRng(7);
  const taken = new Set<string>();
  for (let i = 0; i < 254 - 16; i++) {
    const ip = r.pick(taken, rng.int) as string;
    const last = Number(ip.split('.')[3]);
    t.ok(last > 16 && last < 255, `${ip} outside the static band`);
    t.notOk(taken.has(ip));
    taken.add(ip);
  }
  const fromBand = r.pick(taken, rng.int) as string;
  t.ok(Number(fromBand.split('.')[3]) <= 16, 'then the band');
});

t.test('picks never repeat a taken address and find the last free one of a full range', async (t) => {
  fc.assert(
    fc.property(fc.integer({ min: 24, max: 29 }), fc.integer(), (prefix, seed) => {
      const r = ServiceIpRange.parse(`192.168.0.0/${prefix}`);
      const rng = seededRng(seed);
      const taken = new Set<string>();
      for (let i = 0; i < r.size; i++) {
        const ip = r.pick(taken, rng.int);
        if (ip === undefined || taken.has(ip) || !r.contains(ip)) return false;
        taken.add(ip);
      }
      return r.pick(taken, rng.int) === undefined;
    }),
    { numRuns: 30 },
  );
  t.pass('property held');
});

t.test('the node port range parses kube flag syntax and keeps a static band', async (t) => {
  const r = NodePortRange.parse('30000-32767');
  t.equal(r.toString(), '30000-32767');
  t.equal(r.size, 2768);
  t.ok(r.contains(30000));
  t.ok(r.contains(32767));
  t.notOk(r.contains(32768));
  t.notOk(r.contains(80));
  t.equal(r.staticBandSize, 86);
  const rng = seededRng(3);
  const p = r.pick(new Set(), rng.int) as number;
  t.ok(p >= 30086 && p <= 32767, `${p} outside the band`);
  t.equal(NodePortRange.parse('31000').size, 1);
  for (const bad of ['', 'a-b', '32767-30000', '0-10', '1-70000']) t.throws(() => NodePortRange.parse(bad), PortRangeError, bad);
});

t.test('a full node port range answers undefined', async (t) => {
  const r = NodePortRange.parse('30000-30004');
  const rng = seededRng(1);
  const taken = new Set<number>();
  for (let i = 0; i < 5; i++) taken.add(r.pick(taken, rng.int) as number);
  t.same([...taken].sort(), [30000, 30001, 30002, 30003, 30004]);
  t.equal(r.pick(taken, rng.int), undefined);
});
