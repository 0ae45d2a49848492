import { AuthenticationFailure, type AuthenticationRequest, type Authenticator } from './authenticator.js';
import { bearerToken } from './service-account-authenticator.js';
import { ANONYMOUS_USER, AUTHENTICATED_GROUP, UNAUTHENTICATED_GROUP, type UserInfo } from './user-info.js';

/** Who an unauthenticated request is when `--anonymous-auth` is on (the default, as kube). */
export const ANONYMOUS: UserInfo = { name: ANONYMOUS_USER, groups: [UNAUTHENTICATED_GROUP] };

export interface AuthenticationChainOptions {
  /** `--client-ca-file`: client certificates. */
  readonly x509?: Authenticator | undefined;
  /** `--token-auth-file`: static bearer tokens. */
  readonly tokenFile?: Authenticator | undefined;
  /** `--service-account-key-file`: ServiceAccount JWTs. */
  readonly serviceAccount?: Authenticator | undefined;
  /** `--anonymous-auth`: a request with no credential at all is `system:anonymous` instead of 401. */
  readonly anonymous: boolean;
}

/**
 * kube-apiserver's request authentication (pkg/kubeapiserver/authenticator/config.go): the
 * authenticators tried in order — x509, token file, ServiceAccount tokens — and the first that
 * knows the request wins; every user it yields is also in `system:authenticated`. A credential
 * that no authenticator accepts is a 401, even with anonymous access on: a bad client
 * certificate (with nothing else good), or any `Authorization: Bearer` token that is bad or
 * unknown (kube's bearer-token wrapper turns "not found" into "invalid token"). A request with
 * no credential is `system:anonymous` (group `system:unauthenticated`) when anonymous access is
 * on; otherwise `authenticate` resolves undefined, which the hook answers with 401.
 */
export class AuthenticationChain implements Authenticator {
  private readonly authenticators: readonly Authenticator[];
  private readonly anonymous: boolean;

  constructor(options: AuthenticationChainOptions) {
    this.authenticators = [options.x509, options.tokenFile, options.serviceAccount].filter((a): a is Authenticator => a !== undefined);
    this.anonymous = options.anonymous;
  }

  async authenticate(req: AuthenticationRequest): Promise<UserInfo | undefined> {
    const failures: string[] = [];
    for (const authenticator of this.authenticators) {
      try {
        const user = await authenticator.authenticate(req);
        if (user) return withAuthenticatedGroup(user);
      } catch (err) {
        if (!(err instanceof AuthenticationFailure)) throw err;
        failures.push(err.message);
      }
    }
    if (failures.length > 0) throw new AuthenticationFailure(failures.join('; '));
    if (bearerToken(req) !== undefined) throw new AuthenticationFailure('invalid bearer token');
    return this.anonymous ? ANONYMOUS : undefined;
  }
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  return user.groups.includes(AUTHENTICATED_GROUP) ? user : { ...user, groups: [...user.groups, AUTHENTICATED_GROUP] };
}
