import {
  type ApiClient,
  ApiStatusError,
  type ListOptions,
  type ObjectList,
  type WatchEvent,
  type WatchHandle,
  type WatchOptions,
} from '../../../../kube/client/api-client.js';
import type { ResourceRef } from '../../../../kube/client/resource.js';
import type { KubeObject } from '../../../../kube/object.js';

/** One watch the informer opened; the test drives it. */
export class ScriptedWatch {
  stopped = false;
  private resolveDone: () => void = () => {};
  private rejectDone: (err: Error) => void = () => {};
  readonly done: Promise<void>;

  constructor(
    readonly options: WatchOptions,
    private readonly onEvent: (e: WatchEvent) => void,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.done.catch(() => {});
  }

  emit(type: WatchEvent['type'], object: KubeObject | Record<string, unknown>): void {
    this.onEvent({ type, object: object as KubeObject });
  }

  end(): void {
    this.resolveDone();
  }

  fail(err: Error): void {
    this.rejectDone(err);
  }

  handle(): WatchHandle {
    return {
      done: this.done,
      stop: () => {
        this.stopped = true;
        this.resolveDone();
      },
    };
  }
}

/**
 * An ApiClient whose lists answer from a queue the test fills and whose watches the test drives,
 * for informer cases a real apiserver cannot be made to produce on cue.
 */
export class ScriptedApiClient implements ApiClient {
  readonly lists: ListOptions[] = [];
  readonly watches: ScriptedWatch[] = [];
  private readonly answers: (ObjectList | Error)[] = [];

  answerList(items: KubeObject[], resourceVersion: string, cont?: string): void {
    this.answers.push({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion, ...(cont ? { continue: cont } : {}) }, items });
  }

  failList(err: Error): void {
    this.answers.push(err);
  }

  async list<T extends KubeObject = KubeObject>(_r: ResourceRef, options: ListOptions = {}): Promise<ObjectList<T>> {
    this.lists.push(options);
    const a = this.answers.shift();
    if (!a) throw new ApiStatusError(0, 'ServiceUnavailable', 'no scripted list answer');
    if (a instanceof Error) throw a;
    return a as ObjectList<T>;
  }

  watch<T extends KubeObject = KubeObject>(_r: ResourceRef, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void): WatchHandle {
    const w = new ScriptedWatch(options, onEvent as (e: WatchEvent) => void);
    this.watches.push(w);
    return w.handle();
  }

  get = unsupported;
  create = unsupported;
  update = unsupported;
  updateStatus = unsupported;
  patch = unsupported;
  delete = unsupported;
  createSubresource = unsupported;

  lastWatch(): ScriptedWatch {
    const w = this.watches.at(-1);
    if (!w) throw new Error('no watch opened');
    return w;
  }
}

function unsupported(): Promise<never> {
  return Promise.reject(new Error('ScriptedApiClient only lists and watches'));
}

export const cm = (name: string, rv: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'default', resourceVersion: rv },
  data,
});

/** Lets pending promise callbacks run (a few rounds, for chains of awaits). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
