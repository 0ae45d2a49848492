import t from 'tap';
import { ANONYMOUS, AuthenticationChain } from '../../../../apiserver/auth/authentication-chain.js';
import { AuthenticationFailure, type AuthenticationRequest, type Authenticator } from '../../../../apiserver/auth/authenticator.js';
import { TokenFileAuthenticator, parseTokenFile } from '../../../../apiserver/auth/token-file-authenticator.js';
import type { UserInfo } from '../../../../apiserver/auth/user-info.js';

/** A stand-in for the x509 authenticator: a header says which certificate was "presented". */
const certs: Authenticator = {
  async authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined> {
    const cert = req.headers['x-test-cert'];
    if (cert === undefined) return undefined;
    if (cert === 'bad') throw new AuthenticationFailure('x509: certificate signed by unknown authority');
    return { name: String(cert), groups: ['from-cert'] };
  },
};
const tokens = new TokenFileAuthenticator(parseTokenFile('good,alice,1,"dev"\n'));
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

t.test('each authenticated user is also in system:authenticated', async (t) => {
  const chain = new AuthenticationChain({ x509: certs, tokenFile: tokens, anonymous: false });
  t.same(await chain.authenticate({ headers: bearer('good') }), { name: 'alice', uid: '1', groups: ['dev', 'system:authenticated'] });
  t.same(await chain.authenticate({ headers: { 'x-test-cert': 'jane' } }), { name: 'jane', groups: ['from-cert', 'system:authenticated'] });
});

t.test('a good client certificate wins over a token; a bad one does not stop a good token', async (t) => {
  const chain = new AuthenticationChain({ x509: certs, tokenFile: tokens, anonymous: true });
  t.equal((await chain.authenticate({ headers: { 'x-test-cert': 'jane', ...bearer('good') } }))?.name, 'jane');
  t.equal((await chain.authenticate({ headers: { 'x-test-cert': 'bad', ...bearer('good') } }))?.name, 'alice');
});

t.test('a bad or unknown credential is refused even with anonymous access on', async (t) => {
  const chain = new AuthenticationChain({ x509: certs, tokenFile: tokens, anonymous: true });
  await t.rejects(chain.authenticate({ headers: bearer('unknown') }), AuthenticationFailure);
  await t.rejects(chain.authenticate({ headers: { 'x-test-cert': 'bad' } }), /unknown authority/);
  const noTokens = new AuthenticationChain({ anonymous: true });
  await t.rejects(noTokens.authenticate({ headers: bearer('anything') }), /invalid bearer token/, 'a bearer token with no token authenticator at all');
});

t.test('no credential is system:anonymous with anonymous access on, and no one with it off', async (t) => {
  t.same(await new AuthenticationChain({ x509: certs, tokenFile: tokens, anonymous: true }).authenticate({ headers: {} }), {
    name: 'system:anonymous',
    groups: ['system:unauthenticated'],
  });
  t.same(ANONYMOUS.groups, ['system:unauthenticated'], 'anonymous is not in system:authenticated');
  t.equal(await new AuthenticationChain({ x509: certs, tokenFile: tokens, anonymous: false }).authenticate({ headers: {} }), undefined);
  t.equal(
    await new AuthenticationChain({ anonymous: false }).authenticate({ headers: { authorization: 'Basic eDp5' } }),
    undefined,
    'a non-bearer Authorization is no credential',
  );
});

t.test('the ServiceAccount authenticator comes last, after the token file', async (t) => {
  const seen: string[] = [];
  const sa: Authenticator = {
    async authenticate(req) {
      seen.push(String(req.headers.authorization));
      return { name: 'system:serviceaccount:default:default', groups: ['system:serviceaccounts'] };
    },
  };
  const chain = new AuthenticationChain({ tokenFile: tokens, serviceAccount: sa, anonymous: false });
  t.equal((await chain.authenticate({ headers: bearer('good') }))?.name, 'alice');
  t.same(seen, [], 'not asked when the token file knows the token');
  t.equal((await chain.authenticate({ headers: bearer('jwt') }))?.name, 'system:serviceaccount:default:default');
});
