import type { Json, KubeObject } from '../object.js';
import { applyMergePatch } from '../patch/merge-patch.js';
import {
  type ApiClient,
  ApiStatusError,
  type DeleteOptions,
  type ListOptions,
  type ObjectList,
  type PatchOptions,
  type WatchHandle,
  type WriteOptions,
} from './api-client.js';
import { apiVersionOf, type ResourceRef } from './resource.js';

export interface RecordedCall {
  readonly verb: 'create' | 'update' | 'updateStatus' | 'updateSubresource' | 'patch' | 'delete' | 'createSubresource';
  readonly resource: string;
  readonly namespace: string | undefined;
  readonly name: string;
  readonly body?: unknown;
  readonly subresource?: string;
}

/**
 * The ApiClient twin for tests of pure `sync` logic: keeps objects in a map, answers like the
 * apiserver for the simple cases (generateName, uid, resourceVersion, 404, 409 on a stale
 * resourceVersion) and records every write in `calls`. No watch: tests feed caches directly.
 * `failNext` makes the next write of a verb fail with the given status code.
 */
export class RecordingApiClient implements ApiClient {
  readonly calls: RecordedCall[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private revision = 1;
  private readonly failures: { verb: RecordedCall['verb']; code: number }[] = [];

  /** Put an object in the fake apiserver without recording a call. */
  seed(r: ResourceRef, obj: KubeObject): KubeObject {
    const stored = this.stamp(r, structuredClone(obj));
    this.objects.set(this.key(r, stored.metadata.namespace, stored.metadata.name ?? ''), stored);
    return structuredClone(stored);
  }

  failNext(verb: RecordedCall['verb'], code: number): void {
    this.failures.push({ verb, code });
  }

  /** Calls of one verb (and resource), for asserts. */
  callsOf(verb: RecordedCall['verb'], resource?: string): RecordedCall[] {
    return this.calls.filter((c) => c.verb === verb && (resource === undefined || c.resource === resource));
  }

  async get<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, namespace?: string): Promise<T> {
    const obj = this.objects.get(this.key(r, namespace, name));
    if (!obj) throw notFound(r, name);
    return structuredClone(obj) as T;
  }

  async list<T extends KubeObject = KubeObject>(r: ResourceRef, options: ListOptions = {}): Promise<ObjectList<T>> {
    const prefix = `${r.group}/${r.resource}/`;
    const items = [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (options.namespace === undefined || o.metadata.namespace === options.namespace))
      .map(([, o]) => structuredClone(o) as T);
    return { apiVersion: apiVersionOf(r), kind: `${r.kind}List`, metadata: { resourceVersion: String(this.revision) }, items };
  }

  async create<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, options: WriteOptions = {}): Promise<T> {
    const namespace = options.namespace ?? obj.metadata.namespace;
    const body = structuredClone(obj);
    if (r.namespaced && namespace) body.metadata.namespace = namespace;
    if (!body.metadata.name && body.metadata.generateName)
      body.metadata.name = `${body.metadata.generateName}${(this.revision + 1).toString(36).padStart(5, 'x')}`;
    const name = body.metadata.name ?? '';
    this.record({ verb: 'create', resource: r.resource, namespace, name, body: structuredClone(body) });
    const key = this.key(r, namespace, name);
    if (this.objects.has(key)) throw new ApiStatusError(409, 'AlreadyExists', `${r.resource} "${name}" already exists`);
    const stored = this.stamp(r, body);
    stored.metadata.uid = `uid-${name}-${this.revision}`;
    this.objects.set(key, stored);
    return structuredClone(stored) as T;
  }

  async update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    return this.replace(r, obj, 'update');
  }

  async updateStatus<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T): Promise<T> {
    return this.replace(r, obj, 'updateStatus');
  }

  /**
   * Records the PUT and keeps the body's `spec` (what a namespace's `finalize` changes); a
   * namespace being deleted whose spec finalizers are now empty is removed, as the apiserver does.
   */
  async updateSubresource<T extends KubeObject = KubeObject>(r: ResourceRef, obj: T, subresource: string): Promise<T> {
    const { namespace, name = '' } = obj.metadata;
    this.record({ verb: 'updateSubresource', resource: r.resource, namespace, name, subresource, body: structuredClone(obj) });
    const key = this.key(r, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(r, name);
    const next = { ...structuredClone(current), spec: structuredClone(obj.spec) } as KubeObject;
    const finalizers = (next.spec as { finalizers?: unknown[] } | undefined)?.finalizers ?? [];
    if (next.metadata.deletionTimestamp !== undefined && finalizers.length === 0 && (next.metadata.finalizers ?? []).length === 0) {
      this.objects.delete(key);
      return structuredClone(next) as T;
    }
    const stored = this.stamp(r, next);
    this.objects.set(key, stored);
    return structuredClone(stored) as T;
  }

  async patch<T extends KubeObject = KubeObject>(r: ResourceRef, name: string, patch: unknown, options: PatchOptions = {}): Promise<T> {
    this.record({
      verb: 'patch',
      resource: r.resource,
      namespace: options.namespace,
      name,
      body: structuredClone(patch),
      ...(options.subresource ? { subresource: options.subresource } : {}),
    });
    const key = this.key(r, options.namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(r, name);
    const next = applyMergePatch(current as unknown as Json, patch) as unknown as T;
    const stored = this.stamp(r, next);
    this.objects.set(key, stored);
    return structuredClone(stored) as T;
  }

  async delete(r: ResourceRef, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    this.record({ verb: 'delete', resource: r.resource, namespace: options.namespace, name, body: structuredClone(options) });
    const key = this.key(r, options.namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(r, name);
    this.objects.delete(key);
    return structuredClone(current);
  }

  async createSubresource<T extends KubeObject = KubeObject>(
    r: ResourceRef,
    name: string,
    subresource: string,
    body: KubeObject,
    namespace?: string,
  ): Promise<T> {
    this.record({ verb: 'createSubresource', resource: r.resource, namespace, name, subresource, body: structuredClone(body) });
    return structuredClone(body) as T;
  }

  watch(): WatchHandle {
    throw new Error('RecordingApiClient has no watch: feed the test cache directly');
  }

  private async replace<T extends KubeObject>(r: ResourceRef, obj: T, verb: 'update' | 'updateStatus'): Promise<T> {
    const { namespace, name = '' } = obj.metadata;
    this.record({ verb, resource: r.resource, namespace, name, body: structuredClone(obj) });
    const key = this.key(r, namespace, name);
    const current = this.objects.get(key);
    if (!current) throw notFound(r, name);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw new ApiStatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${r.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      );
    }
    const next = verb === 'updateStatus' ? { ...structuredClone(current), status: structuredClone(obj.status) } : structuredClone(obj);
    const stored = this.stamp(r, next as KubeObject);
    this.objects.set(key, stored);
    return structuredClone(stored) as T;
  }

  private record(call: RecordedCall): void {
    this.calls.push(call);
    const i = this.failures.findIndex((f) => f.verb === call.verb);
    if (i >= 0) {
      const [f] = this.failures.splice(i, 1);
      throw new ApiStatusError(
        f?.code ?? 500,
        f?.code === 409 ? 'Conflict' : 'InternalError',
        `injected failure of ${call.verb} ${call.resource}/${call.name}`,
      );
    }
  }

  private stamp(r: ResourceRef, obj: KubeObject): KubeObject {
    this.revision += 1;
    obj.apiVersion = obj.apiVersion || apiVersionOf(r);
    obj.kind = obj.kind || r.kind;
    obj.metadata.resourceVersion = String(this.revision);
    obj.metadata.uid ??= `uid-${obj.metadata.name ?? ''}-${this.revision}`;
    return obj;
  }

  private key(r: ResourceRef, namespace: string | undefined, name: string): string {
    return `${r.group}/${r.resource}/${r.namespaced ? (namespace ?? '') : ''}/${name}`;
  }
}

function notFound(r: ResourceRef, name: string): ApiStatusError {
  const what = r.group ? `${r.resource}.${r.group}` : r.resource;
  return new ApiStatusError(404, 'NotFound', `${what} "${name}" not found`);
}
