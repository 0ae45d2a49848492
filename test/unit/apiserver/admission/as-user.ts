import type { AuthenticatedRequest } from '../../../../apiserver/auth/user-info.js';
import type { Harness } from '../../../helpers/apiserver-harness.js';

/**
 * Lets a test act as a user without an authenticator: a request carrying `x-test-user`
 * (and `x-test-groups`, comma-separated) runs as that user. Install before the first request.
 */
export function actAsHeaderUser(h: Harness): void {
  h.api.app.addHook('onRequest', async (req) => {
    const name = req.headers['x-test-user'];
    if (typeof name !== 'string') return;
    const groups = String(req.headers['x-test-groups'] ?? '')
      .split(',')
      .filter((g) => g !== '');
    (req as AuthenticatedRequest).user = { name, groups };
  });
}

export function asNode(node: string): Record<string, string> {
  return { 'x-test-user': `system:node:${node}`, 'x-test-groups': 'system:nodes,system:authenticated' };
}
