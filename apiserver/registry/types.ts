import type { KubeObject } from '../../kube/object.js';
import type { CauseReason } from '../../kube/validation/field-errors.js';
import type { UserInfo } from '../auth/user-info.js';
import type { ApiContext } from '../handlers/context.js';

/**
 * One entry of the resource registry: everything the generic handlers need to serve a kind.
 * Adding a kind is one `ResourceDef`, never a copy of handlers (kube-apiserver's
 * `registry/<group>/<kind>/strategy.go` + the printers of `pkg/printers/internalversion`).
 */
export interface ResourceDef {
  /** '' for the core (legacy) group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The lower-case plural in URLs and store keys: `pods`. */
  readonly plural: string;
  /** The lower-case singular: `pod`. */
  readonly singular: string;
  readonly namespaced: boolean;
  /** `po`, `deploy`… as kubectl accepts them. */
  readonly shortNames: readonly string[];
  /** `['all']` for the kinds `kubectl get all` shows. */
  readonly categories: readonly string[];
  /** The kind's schema in the OpenAPI definitions (`io.k8s.api.core.v1.Pod`). */
  readonly schemaName: string;
  readonly subresources: readonly Subresource[];
  /**
   * A create keeps the status the client sent (a Node: the node agent registers with its status).
   * Otherwise a kind with a status subresource starts with an empty status (then `prepareForCreate`).
   */
  readonly keepStatusOnCreate?: boolean;
  /** What `metadata.name` must be. */
  readonly nameRule: NameRule;
  /** The columns `kubectl get` prints; absent: kube-apiserver's default Name + Created At. */
  readonly columns?: readonly TableColumn[];
  /**
   * Field selectors beyond `metadata.name` and `metadata.namespace` (which every kind has):
   * the field path and how to read it as the string a selector compares with.
   */
  readonly fieldSelectors?: Readonly<Record<string, (obj: KubeObject) => string>>;
  /**
   * The top-level fields holding desired state. A change to them bumps `metadata.generation`
   * (starting at 1 on create). Absent: the kind keeps no generation (ConfigMap, Event…).
   */
  readonly specFields?: readonly string[];
  /**
   * Fills in defaults, as kube-apiserver's defaulting does before validation. Mutates `obj`.
   * Runs on create and on every update (defaults are idempotent).
   */
  readonly defaults?: (obj: KubeObject) => void;
  /**
   * What kube-apiserver's strategy `PrepareForCreate` does: reset fields a client may not set on
   * create (a new pod's status becomes `{phase: 'Pending', …}`). Mutates `obj`.
   */
  readonly prepareForCreate?: (obj: KubeObject) => void;
  /**
   * Kind-specific validation, after defaulting; `old` is set on update (for immutable fields).
   * ObjectMeta (name, labels, annotations…) is validated generically and need not be repeated.
   * Paths in causes are JSON-ish field paths as kube-apiserver prints them: `spec.containers[0].image`.
   */
  readonly validate?: (obj: KubeObject, old: KubeObject | undefined) => FieldCause[];
  /** For kinds with the `scale` subresource: where the replica counts and selector live. */
  readonly scale?: ScaleAccess;
  /**
   * Objects of this kind expire: each write attaches the key to a store lease, so the store
   * deletes it (watchers see DELETED) this many seconds after its last write, plus at most the
   * lease-reuse window (storage/object-leases.ts). The apiserver's --event-ttl overrides the
   * value for every kind that has one (only Events do, as in kube).
   */
  readonly ttlSeconds?: number;
  /**
   * A kind that is asked, never stored (SubjectAccessReview and friends): a create is answered
   * with what this returns (201), after the body is decoded and field-checked; nothing is written,
   * no watch cache is kept, and every other verb is 405.
   */
  readonly virtual?: (ctx: ApiContext, obj: KubeObject, user: UserInfo) => Promise<KubeObject>;
}

export type Subresource = 'status' | 'scale' | 'binding' | 'eviction' | 'log';

/**
 * `subdomain`: DNS-1123 subdomain (most kinds: ≤ 253, lower-case alphanumerics, '-' and '.');
 * `label`: DNS-1123 label (namespaces, services: ≤ 63, no '.'); `path`: anything that is a valid
 * path segment (not '.', '..', no '/' or '%'), as for nodes' and events' looser rules.
 */
export type NameRule = 'subdomain' | 'label' | 'path';

export interface TableColumn {
  /** As printed upper-cased in kubectl's header: `Name`, `Ready`, `Nominated Node`. */
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  readonly format?: string;
  readonly description: string;
  /** 0: always shown; 1: only with `-o wide`. */
  readonly priority: 0 | 1;
  /** The cell for one object; `nowMs` is the server's clock, for ages. */
  readonly cell: (obj: KubeObject, nowMs: number) => string | number | boolean;
}

/** One reason an object is invalid, as in a 422 Status's `details.causes`. */
export interface FieldCause {
  readonly reason: CauseReason;
  /** As kube-apiserver words it: `Required value`, `Invalid value: "x": must be …`. */
  readonly message: string;
  readonly field: string;
}

/** The reasons kube uses in a 422's causes; kube/validation builds causes with them. */
export type { CauseReason };

export interface ScaleAccess {
  readonly specReplicas: (obj: KubeObject) => number;
  readonly statusReplicas: (obj: KubeObject) => number;
  /** The label selector as a string (`app=web,tier in (a)`), as autoscaling/v1 Scale's `status.selector`. */
  readonly selector: (obj: KubeObject) => string;
  readonly setSpecReplicas: (obj: KubeObject, replicas: number) => void;
}
