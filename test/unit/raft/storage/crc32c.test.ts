import fc from 'fast-check';
import t from 'tap';
import { crc32c } from '../../../../raft/storage/crc32c.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The bit-at-a-time definition, to check the table-driven one against. */
function naiveCrc32c(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return ~crc >>> 0;
}

t.test('the check value of "123456789" is 0xE3069283', async (t) => {
  t.equal(crc32c(ascii('123456789')), 0xe3069283);
});

t.test('the checksum of nothing is zero', async (t) => {
  t.equal(crc32c(new Uint8Array(0)), 0);
});

t.test('the RFC 3720 (iSCSI) test vectors match', async (t) => {
  t.equal(crc32c(new Uint8Array(32)), 0x8a9136aa, '32 zero bytes');
  t.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43, '32 bytes of 0xFF');
  t.equal(crc32c(bytes(...Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e, '32 incrementing bytes');
  t.equal(crc32c(bytes(...Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c, '32 decrementing bytes');
});

t.test('the table-driven checksum equals the bit-at-a-time definition for any bytes', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 100 }), (data) => crc32c(data) === naiveCrc32c(data)),
    { seed: 1, numRuns: 500 },
  );
  t.pass();
});

t.test('a checksum continued over a second piece equals the checksum of both pieces together', async (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 50 }), fc.uint8Array({ maxLength: 50 }), (a, b) => {
      const whole = new Uint8Array(a.length + b.length);
      whole.set(a);
      whole.set(b, a.length);
      return crc32c(b, crc32c(a)) === crc32c(whole);
    }),
    { seed: 2, numRuns: 300 },
  );
  t.pass();
});

t.test('a checksum over a view of a larger buffer covers only the view', async (t) => {
  const big = ascii('xx123456789yy');
  t.equal(crc32c(big.subarray(2, 11)), 0xe3069283);
});
