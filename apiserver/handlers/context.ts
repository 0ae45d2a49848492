import type { Logger } from 'pino';
import type { AdmissionChain } from '../admission/chain.js';
import type { Authorizer } from '../authz/authorizer.js';
import type { SchemaDefinitions } from '../../kube/schema/types.js';
import type { ResourceRegistry } from '../registry/registry.js';
import type { ObjectStore } from '../storage/object-store.js';
import type { WatchCaches } from '../storage/watch-caches.js';
import type { ProtobufDecoder } from './body.js';

/** What every resource handler works with; built once per apiserver. */
export interface ApiContext {
  readonly registry: ResourceRegistry;
  readonly objects: ObjectStore;
  readonly caches: WatchCaches;
  readonly definitions: SchemaDefinitions;
  readonly logger: Logger;
  /** The server clock (ms); tests pass a fixed one. */
  readonly nowMs: () => number;
  readonly newUid: () => string;
  /** Five characters of kube's generateName alphabet. */
  readonly nameSuffix: () => string;
  readonly protobuf: ProtobufDecoder | undefined;
  /** How long a watch stays open without `timeoutSeconds`: this, randomized up to twice it (kube: --min-request-timeout 1800 s). */
  readonly watchTimeoutSecondsMax: number;
  /** The admission plugins every write passes (admission/chain.ts); absent: none. */
  readonly admission?: AdmissionChain;
  /** Who may do what (authz/); absent: everyone everything (no `--authorization-mode`), and no check runs. */
  readonly authorizer?: Authorizer;
}
