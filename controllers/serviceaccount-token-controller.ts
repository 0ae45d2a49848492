import { type KeyObject, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { privateKeyFromPem, signServiceAccountToken } from '../kube/auth/service-account-token.js';
import type { Informer } from '../kube/cache/informer-types.js';
import { IndexNames } from '../kube/cache/lister.js';
import { type ApiClient, isConflict, isNotFound } from '../kube/client/api-client.js';
import { objectKey, Resources } from '../kube/client/resource.js';
import type { KubeObject } from '../kube/object.js';
import type { WorkQueue } from '../kube/workqueue/types.js';
import type { Controller, ControllerContext, ControllerFactory } from './controller.js';

export const TOKEN_SECRET_TYPE = 'kubernetes.io/service-account-token';
export const SA_NAME_ANNOTATION = 'kubernetes.io/service-account.name';
export const SA_UID_ANNOTATION = 'kubernetes.io/service-account.uid';

/** kube's names.SimpleNameGenerator: 5 characters of this alphabet after a base cut to 58. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const GENERATED_BASE_MAX = 58;
/** How often a reference to a new token is retried on a ServiceAccount that keeps changing under us. */
const UPDATE_ATTEMPTS = 5;

export interface ServiceAccountTokenOptions {
  /** `--service-account-private-key-file`'s PEM (RSA, PKCS#1 or PKCS#8). */
  readonly privateKeyPem: string;
  /** `--root-ca-file`'s PEM, put in every token Secret as `ca.crt`. */
  readonly rootCaPem?: string | undefined;
  /** Five random characters for a new Secret's name (tests pass a fixed sequence). */
  readonly nameSuffix?: () => string;
}

interface ServiceAccount extends KubeObject {
  secrets?: { name?: string }[];
}

interface Secret extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

function randomSuffix(): string {
  return Array.from(randomBytes(5), (b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join('');
}

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

/** Whether `secret` is a token Secret of this very ServiceAccount (name, and uid when it says one). */
function isTokenOf(secret: Secret, sa: KubeObject): boolean {
  const a = secret.metadata.annotations ?? {};
  if (secret.type !== TOKEN_SECRET_TYPE || a[SA_NAME_ANNOTATION] !== sa.metadata.name) return false;
  const uid = a[SA_UID_ANNOTATION];
  return uid === undefined || uid === '' || uid === sa.metadata.uid;
}

/**
 * The legacy token controller (kube's pkg/controller/serviceaccount tokens_controller, as before
 * 1.24): every ServiceAccount gets a Secret of type `kubernetes.io/service-account-token` named
 * `<sa>-token-<5 chars>`, annotated with the ServiceAccount's name and uid, holding `token` (a
 * JWT signed with the private key: kube/auth/service-account-token.ts), `namespace` and, with a
 * root CA, `ca.crt`; the ServiceAccount lists it in `secrets`. A token Secret someone else
 * creates for a ServiceAccount is filled in. Token Secrets of a ServiceAccount that is gone (or
 * was recreated, with another uid) are deleted, which revokes their tokens; a deleted token
 * Secret is replaced.
 *
 * One queue, two kinds of key: `serviceaccount:NS/NAME` (ensure it has a token; clean up after
 * it) and `secret:NS/NAME` (fill in or delete one token Secret).
 */
export class ServiceAccountTokenController implements Controller {
  readonly name = 'serviceaccount-token';
  readonly workers = 3;
  readonly queue: WorkQueue<string>;
  private readonly client: ApiClient;
  private readonly logger: Logger;
  private readonly serviceAccounts: Informer<ServiceAccount>;
  private readonly secrets: Informer<Secret>;
  private readonly key: KeyObject;
  private readonly rootCaPem: string | undefined;
  private readonly nameSuffix: () => string;

  constructor(ctx: ControllerContext, options: ServiceAccountTokenOptions) {
    this.client = ctx.client;
    this.logger = ctx.logger.child({ controller: this.name });
    this.queue = ctx.newQueue(this.name);
    this.key = privateKeyFromPem(options.privateKeyPem);
    this.rootCaPem = options.rootCaPem;
    this.nameSuffix = options.nameSuffix ?? randomSuffix;
    this.serviceAccounts = ctx.informers.informerFor<ServiceAccount>(Resources.serviceaccounts);
    this.secrets = ctx.informers.informerFor<Secret>(Resources.secrets);
    const enqueueSa = (sa: KubeObject): void => this.queue.add(`serviceaccount:${objectKey(sa)}`);
    this.serviceAccounts.addHandlers({ onAdd: enqueueSa, onUpdate: (_, sa) => enqueueSa(sa), onDelete: enqueueSa });
    const enqueueSecret = (s: Secret): void => {
      if (s.type === TOKEN_SECRET_TYPE) this.queue.add(`secret:${objectKey(s)}`);
    };
    this.secrets.addHandlers({
      onAdd: enqueueSecret,
      onUpdate: (_, s) => enqueueSecret(s),
      // Its ServiceAccount needs a new token (or, gone itself, nothing).
      onDelete: (s) => {
        const sa = s.metadata.annotations?.[SA_NAME_ANNOTATION];
        if (s.type === TOKEN_SECRET_TYPE && sa) this.queue.add(`serviceaccount:${s.metadata.namespace ?? ''}/${sa}`);
      },
    });
  }

  async sync(key: string): Promise<void> {
    const colon = key.indexOf(':');
    const slash = key.indexOf('/', colon);
    const kind = key.slice(0, colon);
    const namespace = key.slice(colon + 1, slash);
    const name = key.slice(slash + 1);
    if (kind === 'serviceaccount') await this.syncServiceAccount(namespace, name);
    else if (kind === 'secret') await this.syncSecret(namespace, name);
  }

  /** Token Secrets in the namespace that name `saName`, as the cache has them. */
  private tokenSecretsNaming(namespace: string, saName: string): Secret[] {
    return this.secrets.lister
      .byIndex(IndexNames.namespace, namespace)
      .filter((s) => s.type === TOKEN_SECRET_TYPE && s.metadata.annotations?.[SA_NAME_ANNOTATION] === saName);
  }

  private async syncServiceAccount(namespace: string, name: string): Promise<void> {
    const cached = this.serviceAccounts.lister.get(`${namespace}/${name}`);
    // Tokens of a ServiceAccount that is gone, or of an earlier one of the same name, are revoked.
    for (const s of this.tokenSecretsNaming(namespace, name)) {
      if (!cached || !isTokenOf(s, cached)) await this.deleteSecret(s, 'its service account is gone');
    }
    if (!cached || cached.metadata.deletionTimestamp !== undefined) return;
    let sa: ServiceAccount;
    try {
      sa = await this.client.get<ServiceAccount>(Resources.serviceaccounts, name, namespace);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (sa.metadata.uid !== cached.metadata.uid) return; // replaced meanwhile: its own events follow
    const { valid, dangling } = await this.referencedTokens(sa);
    if (valid) {
      if (dangling.length > 0) await this.updateReferences(sa, dangling, undefined);
      return;
    }
    const secretName = `${`${name}-token-`.slice(0, GENERATED_BASE_MAX)}${this.nameSuffix()}`;
    const secret = await this.client.create<Secret>(Resources.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secretName, namespace, annotations: { [SA_NAME_ANNOTATION]: name, [SA_UID_ANNOTATION]: sa.metadata.uid ?? '' } },
      type: TOKEN_SECRET_TYPE,
      data: await this.tokenData(sa, secretName),
    });
    try {
      await this.updateReferences(sa, dangling, secretName);
      this.logger.info({ namespace, serviceAccount: name, secret: secretName }, 'created a service account token');
    } catch (e) {
      // A token its ServiceAccount does not list would never be cleaned up by the reference path.
      await this.deleteSecret(secret, 'could not reference it from its service account');
      if (!isNotFound(e)) throw e;
    }
  }

  /** Whether one of the ServiceAccount's `secrets` is a live token of it, and the references to token Secrets that are gone. */
  private async referencedTokens(sa: ServiceAccount): Promise<{ valid: boolean; dangling: string[] }> {
    const namespace = sa.metadata.namespace ?? '';
    const dangling: string[] = [];
    let valid = false;
    for (const ref of sa.secrets ?? []) {
      if (!ref.name) continue;
      let s = this.secrets.lister.get(`${namespace}/${ref.name}`);
      if (!s) {
        // Not cached yet (made a moment ago) or gone: ask.
        try {
          s = await this.client.get<Secret>(Resources.secrets, ref.name, namespace);
        } catch (e) {
          if (!isNotFound(e)) throw e;
          if (ref.name.startsWith(`${sa.metadata.name}-token-`)) dangling.push(ref.name);
          continue;
        }
      }
      if (isTokenOf(s, sa) && s.metadata.deletionTimestamp === undefined) valid = true;
    }
    return { valid, dangling };
  }

  /** Drops `remove` from the ServiceAccount's `secrets` and adds `add`, retrying on conflicts with a fresh read. */
  private async updateReferences(sa: ServiceAccount, remove: readonly string[], add: string | undefined): Promise<void> {
    let current = sa;
    for (let attempt = 1; ; attempt++) {
      const refs = (current.secrets ?? []).filter((r) => !r.name || !remove.includes(r.name));
      if (add !== undefined && !refs.some((r) => r.name === add)) refs.push({ name: add });
      try {
        await this.client.update<ServiceAccount>(Resources.serviceaccounts, { ...current, secrets: refs });
        return;
      } catch (e) {
        if (!isConflict(e) || attempt >= UPDATE_ATTEMPTS) throw e;
      }
      current = await this.client.get<ServiceAccount>(Resources.serviceaccounts, sa.metadata.name ?? '', sa.metadata.namespace);
      if (current.metadata.uid !== sa.metadata.uid) throw new Error(`service account ${objectKey(sa)} was replaced`);
    }
  }

  private async syncSecret(namespace: string, name: string): Promise<void> {
    const cached = this.secrets.lister.get(`${namespace}/${name}`);
    if (!cached || cached.type !== TOKEN_SECRET_TYPE || cached.metadata.deletionTimestamp !== undefined) return;
    const saName = cached.metadata.annotations?.[SA_NAME_ANNOTATION] ?? '';
    let sa: KubeObject | undefined = this.serviceAccounts.lister.get(`${namespace}/${saName}`);
    if (!sa && saName !== '') {
      try {
        sa = await this.client.get(Resources.serviceaccounts, saName, namespace);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    if (!sa || !isTokenOf(cached, sa)) {
      await this.deleteSecret(cached, 'its service account is gone');
      return;
    }
    if (!this.needsFilling(cached, sa)) return;
    let live: Secret;
    try {
      live = await this.client.get<Secret>(Resources.secrets, name, namespace);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!this.needsFilling(live, sa)) return;
    const data = { ...(live.data ?? {}) };
    const filled = await this.tokenData(sa, name);
    for (const [k, v] of Object.entries(filled)) if (k !== 'token' || !data.token) data[k] = v;
    const annotations = { ...(live.metadata.annotations ?? {}), [SA_NAME_ANNOTATION]: saName, [SA_UID_ANNOTATION]: sa.metadata.uid ?? '' };
    await this.client.update<Secret>(Resources.secrets, { ...live, metadata: { ...live.metadata, annotations }, data });
    this.logger.info({ namespace, secret: name, serviceAccount: saName }, 'filled in a service account token secret');
  }

  private needsFilling(s: Secret, sa: KubeObject): boolean {
    const d = s.data ?? {};
    return !d.token || !d.namespace || (this.rootCaPem !== undefined && !d['ca.crt']) || s.metadata.annotations?.[SA_UID_ANNOTATION] !== sa.metadata.uid;
  }

  private async tokenData(sa: KubeObject, secretName: string): Promise<Record<string, string>> {
    const namespace = sa.metadata.namespace ?? '';
    const token = await signServiceAccountToken(this.key, {
      namespace,
      serviceAccountName: sa.metadata.name ?? '',
      serviceAccountUid: sa.metadata.uid ?? '',
      secretName,
    });
    return { token: b64(token), namespace: b64(namespace), ...(this.rootCaPem === undefined ? {} : { 'ca.crt': b64(this.rootCaPem) }) };
  }

  private async deleteSecret(s: KubeObject, why: string): Promise<void> {
    try {
      await this.client.delete(Resources.secrets, s.metadata.name ?? '', {
        namespace: s.metadata.namespace ?? '',
        ...(s.metadata.uid ? { preconditions: { uid: s.metadata.uid } } : {}),
      });
      this.logger.info({ secret: objectKey(s), why }, 'deleted a service account token secret');
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e)) throw e;
    }
  }
}

/** The controller with its signing key (controllers/main.ts builds it from the flags). */
export function serviceAccountTokenControllerFactory(options: ServiceAccountTokenOptions): ControllerFactory {
  privateKeyFromPem(options.privateKeyPem); // a bad key stops the controller-manager at start, not at the first sync
  return (ctx) => new ServiceAccountTokenController(ctx, options);
}

/**
 * The registry's entry before the flags are read: kube runs this controller only with
 * `--service-account-private-key-file`, and controllers/main.ts leaves it out without one.
 */
export const unconfiguredServiceAccountTokenControllerFactory: ControllerFactory = () => {
  throw new Error('the serviceaccount-token controller needs --service-account-private-key-file');
};

/**
 * The configured controller from the controller-manager's flags, or undefined without a key
 * file. Throws (with the flag's name) on an unreadable file or a key that is not RSA.
 */
export function serviceAccountTokenFactoryFromFiles(files: {
  readonly serviceAccountPrivateKeyFile?: string | undefined;
  readonly rootCaFile?: string | undefined;
}): ControllerFactory | undefined {
  if (files.serviceAccountPrivateKeyFile === undefined) return undefined;
  const read = (file: string, flag: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch (e) {
      throw new Error(`${flag}: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  const privateKeyPem = read(files.serviceAccountPrivateKeyFile, '--service-account-private-key-file');
  const rootCaPem = files.rootCaFile === undefined ? undefined : read(files.rootCaFile, '--root-ca-file');
  try {
    return serviceAccountTokenControllerFactory({ privateKeyPem, rootCaPem });
  } catch (e) {
    throw new Error(`--service-account-private-key-file: ${(e as Error).message}`);
  }
}
