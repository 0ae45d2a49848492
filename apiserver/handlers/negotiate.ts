/**
 * What representation the client asked for in Accept (kubectl-protocol.md §1.1, §2):
 * a Table (`as=Table;g=meta.k8s.io;v=v1|v1beta1`, what `kubectl get` asks for),
 * PartialObjectMetadata (metadata-only clients such as the garbage collector), YAML, or the
 * object as JSON (the default, also for protobuf Accepts: kubectl takes JSON answers).
 */
export type Representation =
  | { readonly as: 'object'; readonly yaml: boolean }
  | { readonly as: 'table'; readonly version: 'v1' | 'v1beta1' }
  | { readonly as: 'metadata'; readonly version: 'v1' | 'v1beta1' };

interface MediaRange {
  readonly type: string;
  readonly params: Readonly<Record<string, string>>;
}

export function parseAccept(accept: string | undefined): MediaRange[] {
  if (!accept) return [];
  return accept.split(',').map((part) => {
    const [type = '', ...rest] = part.split(';').map((s) => s.trim());
    const params: Record<string, string> = {};
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
    }
    return { type: type.toLowerCase(), params };
  });
}

/** The first acceptable range wins, as in kube's negotiation. */
export function negotiate(accept: string | undefined): Representation {
  for (const range of parseAccept(accept)) {
    const { as, g, v } = range.params;
    if (as === 'Table' && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) return { as: 'table', version: v };
    if ((as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList') && g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1')) {
      return { as: 'metadata', version: v };
    }
    if (as) continue; // some other conversion we do not offer: try the next range
    if (range.type === 'application/yaml') return { as: 'object', yaml: true };
    if (range.type === 'application/json' || range.type === '*/*' || range.type === 'application/*') return { as: 'object', yaml: false };
    if (range.type === 'application/vnd.kubernetes.protobuf') continue;
  }
  return { as: 'object', yaml: false };
}

/** Media types a resource request may ask for; an Accept naming none of them is refused with 406 before anything runs. */
const ACCEPTABLE_TYPES = new Set(['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf', '*/*', 'application/*']);

/**
 * Whether some range of `accept` is one we can answer (kube's NegotiateOutputMediaType): an
 * absent Accept is; `as=` conversions count only for the ones negotiate() serves.
 */
export function isAcceptable(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return parseAccept(accept).some((range) => {
    if (!ACCEPTABLE_TYPES.has(range.type)) return false;
    const { as, g, v } = range.params;
    if (!as) return true;
    return g === 'meta.k8s.io' && (v === 'v1' || v === 'v1beta1') && (as === 'Table' || as === 'PartialObjectMetadata' || as === 'PartialObjectMetadataList');
  });
}

/** Whether the client asked for aggregated discovery (kubectl 1.32 does first). */
export function wantsAggregatedDiscovery(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const range of parseAccept(accept)) {
    const { as, g, v } = range.params;
    if (as === 'APIGroupDiscoveryList' && g === 'apidiscovery.k8s.io' && (v === 'v2' || v === 'v2beta1')) return v;
    if (range.type === 'application/json' && !as) return undefined;
  }
  return undefined;
}
