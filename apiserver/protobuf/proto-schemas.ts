import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

/**
 * The Kubernetes .proto definitions vendored under ./proto (see proto/README.md), parsed with
 * protobufjs into one Root. Parsing ~500 KB of .proto text takes a few hundred milliseconds,
 * so it happens once, on the first call, and the Root is shared after that.
 */

const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'proto');

/** API group packages loaded at start; their imports (core/v1, meta/v1, runtime, ...) follow. */
const ROOT_FILES = [
  'k8s.io/apimachinery/pkg/runtime/generated.proto',
  'k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto',
  'k8s.io/api/core/v1/generated.proto',
  'k8s.io/api/apps/v1/generated.proto',
  'k8s.io/api/batch/v1/generated.proto',
  'k8s.io/api/coordination/v1/generated.proto',
  'k8s.io/api/discovery/v1/generated.proto',
  'k8s.io/api/policy/v1/generated.proto',
  'k8s.io/api/autoscaling/v1/generated.proto',
  'k8s.io/api/storage/v1/generated.proto',
  'k8s.io/api/rbac/v1/generated.proto',
  'k8s.io/api/authorization/v1/generated.proto',
];

export const META_V1_PACKAGE = 'k8s.io.apimachinery.pkg.apis.meta.v1';
export const UNKNOWN_TYPE = 'k8s.io.apimachinery.pkg.runtime.Unknown';

/** The loaded definitions and how long parsing them took. */
export interface KubernetesProtoSchemas {
  readonly root: protobuf.Root;
  readonly loadMs: number;
}

let loaded: KubernetesProtoSchemas | undefined;

/** Parses the vendored definitions on first use; throws if a file is missing or a type is unresolved. */
export function kubernetesProtoSchemas(): KubernetesProtoSchemas {
  if (loaded) return loaded;
  const started = performance.now();
  const root = new protobuf.Root();
  // Imports are written as "k8s.io/..." paths, rooted at the vendored folder.
  root.resolvePath = (origin, target) => (target.startsWith('k8s.io/') ? join(PROTO_DIR, target) : protobuf.util.path.resolve(origin, target));
  // keepCase: the proto field names already are the JSON names (podIP, Raw, Port), keep them verbatim.
  root.loadSync(
    ROOT_FILES.map((file) => join(PROTO_DIR, file)),
    { keepCase: true },
  );
  root.resolveAll();
  loaded = { root, loadMs: performance.now() - started };
  return loaded;
}

/** Group names whose Go package is not the group's first DNS label. */
const GROUP_PACKAGES: Record<string, string> = {
  'internal.apiserver.k8s.io': 'apiserverinternal',
};

/**
 * The message type for an apiVersion and kind, as Kubernetes' protobuf serializer names it:
 * `k8s.io.api.<package>.<version>.<Kind>` ("v1" is the core group), with the meta.k8s.io kinds
 * (DeleteOptions, Status, ...) also accepted under any group version. Undefined when unknown.
 */
export function messageTypeFor(root: protobuf.Root, apiVersion: string, kind: string): protobuf.Type | undefined {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const slash = apiVersion.indexOf('/');
  const group = slash < 0 ? '' : apiVersion.slice(0, slash);
  const version = slash < 0 ? apiVersion : apiVersion.slice(slash + 1);
  if (!/^v[0-9]+((alpha|beta)[0-9]+)?$/.test(version)) return undefined;
  const candidates: string[] = [];
  if (group === 'meta.k8s.io') {
    candidates.push(`${META_V1_PACKAGE}.${kind}`);
  } else {
    const pkg = group === '' ? 'core' : (GROUP_PACKAGES[group] ?? group.split('.')[0]);
    if (pkg && /^[a-z0-9]+$/.test(pkg)) candidates.push(`k8s.io.api.${pkg}.${version}.${kind}`);
    // client-go sends DeleteOptions and friends tagged with the resource's group version.
    if (version === 'v1') candidates.push(`${META_V1_PACKAGE}.${kind}`);
  }
  for (const name of candidates) {
    const found = root.lookup(name);
    if (found instanceof protobuf.Type) return found;
  }
  return undefined;
}
