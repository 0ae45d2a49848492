import { checkNamespaceAccepts } from '../handlers/namespace-lifecycle.js';
import type { AdmissionPlugin, AdmissionRequest } from './admission-types.js';

/**
 * kube's NamespaceLifecycle admission plugin: a namespaced object can only be created in a
 * namespace that exists (404 for the namespace otherwise) and is not being deleted (403
 * `unable to create new content in namespace x because it is being terminated`). The check
 * itself lives in handlers/namespace-lifecycle.ts, which other paths (binding) share.
 */
export const namespaceLifecyclePlugin: AdmissionPlugin = {
  name: 'NamespaceLifecycle',
  async admit(req: AdmissionRequest): Promise<void> {
    if (req.operation !== 'CREATE' || !req.def.namespaced || req.subresource !== '') return;
    await checkNamespaceAccepts(req.ctx, req.def, req.namespace, req.name);
  },
};
