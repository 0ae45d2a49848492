import type { FastifyInstance } from 'fastify';
import { openapiV3GroupVersion, openapiV3Root } from './openapi/documents.js';
import type { ResourceDef } from './registry/types.js';
import { routeNotFound } from './status.js';

/**
 * `/openapi/v3` (the index kubectl reads first) and one document per group-version
 * (`/openapi/v3/api/v1`, `/openapi/v3/apis/apps/v1`): with them kubectl validates on the server
 * (`fieldValidation=Strict`) instead of needing a schema of its own, and `kubectl explain` works.
 * `/openapi/v2` is not served; kubectl tolerates its 404. Documents are built and serialized once.
 */
export function registerOpenApiRoutes(app: FastifyInstance, defs: readonly ResourceDef[]): void {
  let root: string | undefined;
  const documents = new Map<string, string | null>();
  app.get('/openapi/v3', async (_req, reply) => {
    root ??= JSON.stringify(openapiV3Root(defs));
    return reply.type('application/json').send(root);
  });
  app.get('/openapi/v3/*', async (req, reply) => {
    const path = ((req.params as { '*': string })['*'] ?? '').replace(/\/+$/, '');
    let doc = documents.get(path);
    if (doc === undefined) {
      const built = openapiV3GroupVersion(defs, path);
      doc = built ? JSON.stringify(built) : null;
      documents.set(path, doc);
    }
    if (doc === null) return reply.code(404).type('application/json').send(JSON.stringify(routeNotFound().status));
    return reply.type('application/json').header('cache-control', 'public, immutable').send(doc);
  });
}
