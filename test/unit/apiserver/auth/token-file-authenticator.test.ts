import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TokenFileAuthenticator, TokenFileError, parseTokenFile } from '../../../../apiserver/auth/token-file-authenticator.js';

const FILE = ['s3cret,alice,uid-1,"dev,ops"', 'other,bob,uid-2', '', ',nobody,uid-3', ' spaced, carol,uid-4,admins', 'dup,first,u', 'dup,second,u'].join('\n');

t.test("reads kube's CSV: token, user, uid and quoted comma-separated groups", async (t) => {
  const users = parseTokenFile(FILE);
  t.same(users.get('s3cret'), { name: 'alice', uid: 'uid-1', groups: ['dev', 'ops'] });
  t.same(users.get('other'), { name: 'bob', uid: 'uid-2', groups: [] });
  t.same(users.get('spaced'), { name: 'carol', uid: 'uid-4', groups: ['admins'] }, 'leading spaces trimmed');
  t.equal(users.get('dup')?.name, 'second', 'a later duplicate wins');
  t.notOk(users.has(''), 'a record with an empty token is skipped');
  t.equal(users.size, 4);
});

t.test('a file with fewer than 3 columns or a broken quote is refused, naming the line', async (t) => {
  t.throws(
    () => parseTokenFile('a,b,c\nonly,two\n', 'tokens.csv'),
    new TokenFileError('tokens.csv line 2: must have at least 3 columns (token, user name, user uid), found 2'),
  );
  t.throws(() => parseTokenFile('a,b,c,"g1,g2\n'), /unterminated quoted field/);
  t.same(parseTokenFile('a,b,c,"say ""hi"""\r\n').get('a')?.groups, ['say "hi"'], 'CRLF and doubled quotes');
});

t.test('a bearer token in the file is its user; any other token or none is not this authenticator’s', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-tokens-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tokens.csv');
  writeFileSync(file, FILE);
  const auth = TokenFileAuthenticator.fromFile(file);
  t.same(await auth.authenticate({ headers: { authorization: 'Bearer s3cret' } }), { name: 'alice', uid: 'uid-1', groups: ['dev', 'ops'] });
  t.same(await auth.authenticate({ headers: { authorization: 'bearer other' } }), { name: 'bob', uid: 'uid-2', groups: [] }, 'the scheme is case-insensitive');
  t.equal(await auth.authenticate({ headers: { authorization: 'Bearer unknown' } }), undefined);
  t.equal(await auth.authenticate({ headers: { authorization: 'Basic czNjcmV0' } }), undefined);
  t.equal(await auth.authenticate({ headers: {} }), undefined);
});
