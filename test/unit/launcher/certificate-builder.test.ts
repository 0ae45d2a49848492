import { X509Certificate } from 'node:crypto';
import t from 'tap';
import { buildCaCertificate, newRsaKeyPem, positiveDerHex } from '../../../scripts/launcher/certificate-builder.js';

t.test('a serial is written as a positive DER integer without needless padding', async (t) => {
  t.equal(positiveDerHex('3a3a'), '3a3a');
  t.equal(positiveDerHex('9f9f'), '009f9f', 'a set top bit needs the 00');
  t.equal(positiveDerHex('00003a'), '3a', 'leading zero bytes go');
  t.equal(positiveDerHex('0080'), '0080');
  t.equal(positiveDerHex('0000'), '01', 'a serial is never zero');
  t.equal(positiveDerHex('abc'), '0abc', 'an odd digit count is a whole first byte');
});

t.test('OpenSSL reads certificates whose random serial begins with a zero byte (1 in 256 did not parse)', async (t) => {
  const keyPem = newRsaKeyPem();
  for (const serialHex of ['00' + '3a'.repeat(15), '0000' + '9f'.repeat(14), '7f'.repeat(16)]) {
    const pem = buildCaCertificate({ keyPem, subject: { commonName: 'test-ca' }, validity: { notBefore: new Date(0), validityDays: 1 }, serialHex });
    const cert = new X509Certificate(pem);
    t.equal(cert.serialNumber.toLowerCase(), positiveDerHex(serialHex).replace(/^00/, ''), `serial ${serialHex}`);
  }
});
