import type { KubeObject } from '../../kube/object.js';
import type { UserInfo } from '../auth/user-info.js';
import type { ApiContext } from '../handlers/context.js';
import type { ResourceDef } from '../registry/types.js';

/**
 * One write as admission plugins see it (kube's admission.Attributes): the operation, the kind,
 * the object after decoding and defaulting (`object`, mutable by mutating plugins), the stored
 * object for UPDATE and DELETE (`oldObject`), the user, and whether it is a dry run.
 */
export interface AdmissionRequest {
  readonly operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  readonly def: ResourceDef;
  readonly namespace: string;
  readonly name: string;
  readonly subresource: string;
  object: KubeObject | undefined;
  readonly oldObject: KubeObject | undefined;
  readonly user: UserInfo;
  readonly dryRun: boolean;
  readonly ctx: ApiContext;
}

/**
 * An admission plugin, kube-style: `admit` may change `req.object` (mutating phase), `validate`
 * may only refuse (validating phase); either refuses by throwing an ApiError (403 Forbidden for
 * policy, 422 Invalid with field causes for bad objects). A plugin answers for the operations and
 * kinds it handles and returns at once for the others.
 */
export interface AdmissionPlugin {
  readonly name: string;
  admit?(req: AdmissionRequest): Promise<void>;
  validate?(req: AdmissionRequest): Promise<void>;
}
