import { StoreError } from '../raft/client/store-client.js';
import type { FieldCause } from './registry/types.js';

/**
 * The one error catalogue: every failure the apiserver answers becomes a `metav1.Status` here and
 * nowhere else, with the code, reason, message and details kubectl prints
 * (`Error from server (<reason>): <message>`; for 422, `The Pod "x" is invalid: ` and one line per
 * cause). Wording follows kube-apiserver's `k8s.io/apimachinery/pkg/api/errors`.
 */

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'Invalid'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: FieldCause[] | { reason?: string; message: string; field?: string }[];
  retryAfterSeconds?: number;
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, unknown>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** What an error names: the resource (plural) and group, as in `deployments.apps "web" not found`. */
export interface Qualified {
  readonly plural: string;
  readonly group: string;
  /** The Kind, for 422 (`The Pod "x" is invalid`). */
  readonly kind?: string;
}

/** A failure with the Status to answer; thrown anywhere in a request path and answered in one place. */
export class ApiError extends Error {
  readonly status: Status;
  /** Extra response headers (Retry-After). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
    if (details) this.status.details = details;
    this.headers = headers;
  }
  get code(): number {
    return this.status.code;
  }
}

function qualifiedName(q: Qualified): string {
  return q.group ? `${q.plural}.${q.group}` : q.plural;
}

function detailsOf(q: Qualified, name: string | undefined): StatusDetails {
  const d: StatusDetails = { kind: q.plural };
  if (name !== undefined) d.name = name;
  if (q.group) d.group = q.group;
  return d;
}

export function notFound(q: Qualified, name: string): ApiError {
  return new ApiError(404, 'NotFound', `${qualifiedName(q)} "${name}" not found`, detailsOf(q, name));
}

/** A URL that names nothing served (kube's answer for an unknown resource or path). */
export function routeNotFound(): ApiError {
  return new ApiError(404, 'NotFound', 'the server could not find the requested resource', {
    causes: [{ reason: 'UnexpectedServerResponse', message: '404 page not found' }],
  });
}

export function alreadyExists(q: Qualified, name: string): ApiError {
  return new ApiError(409, 'AlreadyExists', `${qualifiedName(q)} "${name}" already exists`, detailsOf(q, name));
}

export function conflict(q: Qualified, name: string, why: string): ApiError {
  return new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedName(q)} "${name}": ${why}`, detailsOf(q, name));
}

export const MODIFIED_CONFLICT = 'the object has been modified; please apply your changes to the latest version and try again';

export function invalid(q: Qualified, name: string, causes: readonly FieldCause[]): ApiError {
  const kind = q.kind ?? q.plural;
  const lines = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${kind}${q.group ? `.${q.group}` : ''} "${name}" is invalid: ${lines.length === 1 ? lines[0] : `[${lines.join(', ')}]`}`;
  const details: StatusDetails = { name, kind, causes: [...causes] };
  if (q.group) details.group = q.group;
  return new ApiError(422, 'Invalid', message, details);
}

/**
 * A well-formed json patch that does not apply to the object (a failed `test`, a missing path):
 * kube answers its generic 422 (apimachinery's NewGenericServerResponse), empty details, no cause.
 */
export function patchDoesNotApply(): ApiError {
  return new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
}

/**
 * A patch whose result does not decode into the kind (strict field validation, a wrong type):
 * kube's `field.Invalid(patch, <value>, <detail>)` with no kind or name, which kubectl prints
 * as `The request is invalid: patch: Invalid value: "<value>": <detail>`. `quotedValue` is the
 * value as Go's `%q` prints it.
 */
export function invalidPatch(quotedValue: string, detail: string): ApiError {
  const message = `Invalid value: ${quotedValue}: ${detail}`;
  return new ApiError(422, 'Invalid', ` "" is invalid: patch: ${message}`, { causes: [{ reason: 'FieldValueInvalid', message, field: 'patch' }] });
}

export function badRequest(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}

export function forbidden(q: Qualified, name: string, why: string): ApiError {
  return new ApiError(403, 'Forbidden', `${qualifiedName(q)} "${name}" is forbidden: ${why}`, detailsOf(q, name));
}

export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf${contentType ? ` (got ${contentType})` : ''}`,
  );
}

/** kube's NewNotAcceptableError wording for an Accept header the server cannot satisfy. */
export function notAcceptable(): ApiError {
  return new ApiError(
    406,
    'NotAcceptable',
    'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
  );
}

/** Node's HTTP parser refused the request before routing (headers too large, malformed request line): still a Status. */
export function clientErrorStatus(code: number, message: string): ApiError {
  return new ApiError(code, 'BadRequest', message);
}

export function patchTypeNotSupported(contentType: string): ApiError {
  return new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType || 'none'})`,
  );
}

export function tooLarge(limitBytes: number): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${limitBytes}`);
}

/** A watch or list from a resourceVersion older than the history kept. */
export function expired(message: string): ApiError {
  return new ApiError(410, 'Expired', message);
}

export function tooOldResourceVersion(requested: number, oldest: number): ApiError {
  return expired(`too old resource version: ${requested} (${oldest})`);
}

export function internalError(message: string): ApiError {
  return new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

/** Worth retrying: client-go retries a 429/503 that carries Retry-After (kubectl-protocol.md §12). */
export function unavailable(message: string, retryAfterSeconds = 1): ApiError {
  return new ApiError(503, 'ServiceUnavailable', message, { retryAfterSeconds }, { 'retry-after': String(retryAfterSeconds) });
}

export function timeout(message: string): ApiError {
  return new ApiError(504, 'Timeout', message, { retryAfterSeconds: 1 }, { 'retry-after': '1' });
}

/** Any thrown value as an ApiError: store failures by their code, anything else a 500. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof StoreError) {
    switch (err.code) {
      case 'Compacted':
        return expired(`The resourceVersion for the provided list is too old (compacted at ${err.compactRevision ?? 'unknown'}).`);
      case 'FutureRevision':
        return timeout(`Too large resource version: ${err.message}`);
      case 'NotLeader':
      case 'NoLeader':
      case 'Unavailable':
      case 'Closed':
        return unavailable(`the store is unavailable: ${err.message}`);
      case 'Timeout':
        return timeout(`the store did not answer in time: ${err.message}`);
      case 'TooLarge':
        return new ApiError(413, 'RequestEntityTooLarge', `the object is too large for the store: ${err.message}`);
      default:
        return internalError(`store: ${err.code}: ${err.message}`);
    }
  }
  return internalError(err instanceof Error ? err.message : String(err));
}

export function successStatus(details?: StatusDetails): Status {
  const s: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 200 };
  if (details) s.details = details;
  return s;
}
