import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KubeObject } from '../../kube/object.js';
import type { ResourceDef } from '../registry/types.js';
import { type ApiError, expired, unavailable } from '../status.js';
import { toTable } from '../table/table.js';
import type { CacheWatchCloseReason, CacheWatchEvent, CacheWatchHandle } from '../watch-cache/types.js';
import type { ApiContext } from './context.js';
import { negotiate, type Representation } from './negotiate.js';
import { type Query, queryBool, queryInt, queryResourceVersion, queryString } from './query.js';
import type { RequestInfo } from './request-info.js';
import { apiVersionOf } from './respond.js';
import { filterFromQuery } from './selectors.js';

/**
 * A watch: the Kubernetes event stream (kubectl-protocol.md §8), one JSON object per line,
 * `{"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": …}`, served from the resource's watch
 * cache so that a thousand watchers cost one store watch. Start semantics (api-concepts
 * "Semantics for watch"): no resourceVersion or "0" → an ADDED for every current object first;
 * N → exactly the changes after N, or an ERROR 410 Expired if N is older than the cache's window.
 *
 * Headers leave at once (client-node waits for them), the stream stays open until
 * `timeoutSeconds` (or kube's randomized default), and a client that stops reading is cut off
 * rather than buffered without bound.
 */

export function handleWatch(ctx: ApiContext, def: ResourceDef, info: RequestInfo, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const q = req.query as Query;
  const rv = queryResourceVersion(q);
  const filter = filterFromQuery(def, q);
  const timeoutSeconds = queryInt(q, 'timeoutSeconds') ?? Math.floor(ctx.watchTimeoutSecondsMax * (1 + Math.random()));
  const bookmarks = queryBool(q, 'allowWatchBookmarks');
  const sendInitialEvents = queryString(q, 'sendInitialEvents') === 'true';
  const rep = negotiate(req.headers.accept);
  const cache = ctx.caches.forResource(def);
  if (!cache?.ready()) throw unavailable(`the watch cache for ${def.plural} is not ready yet`);
  const namespace = info.namespace;
  const name = info.name;
  // A watch on one object (`/pods/x?watch=true`, legacy `/watch/…/pods/x`) is a watch with metadata.name=x.
  const basePredicate = filter.predicate;
  const predicate: ((o: KubeObject) => boolean) | undefined =
    name === undefined ? basePredicate : (o) => o.metadata.name === name && (basePredicate ? basePredicate(o) : true);

  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': rep.as === 'table' ? `application/json;as=Table;v=${rep.version};g=meta.k8s.io` : 'application/json',
    'cache-control': 'no-cache, private',
    'transfer-encoding': 'chunked',
  });
  res.flushHeaders();
  const encoder = new EventEncoder(def, rep, ctx.nowMs);
  let closed = false;
  const timers: NodeJS.Timeout[] = [];
  let watcher: CacheWatchHandle | undefined;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearTimeout(t);
    watcher?.stop();
    ctx.caches.watcherEnded(def);
    if (!res.writableEnded) res.end();
  };
  // The events of one turn of the event loop (a store batch fans out to every watcher at once)
  // leave in one chunk and one socket write, not one write per event.
  let corked = false;
  const uncork = (): void => {
    corked = false;
    res.uncork();
  };
  /** False when the socket is full: the cache pauses this watcher until 'drain' (and closes it if it falls too far behind). */
  const write = (line: string): boolean => {
    if (closed) return true;
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    return res.write(line);
  };
  const onEvent = (e: CacheWatchEvent): boolean => {
    if (e.type === 'BOOKMARK') return write(encoder.bookmark(e.revision, e.initialEventsEnd === true));
    return write(encoder.event(e.type, e.object));
  };
  const onClose = (reason: CacheWatchCloseReason): void => {
    if (reason.kind === 'Expired') write(encoder.error(expired(reason.message)));
    else if (reason.kind !== 'Stopped') ctx.logger.debug({ resource: def.plural, reason: reason.kind }, reason.message);
    finish();
  };
  ctx.caches.watcherStarted(def);
  watcher = cache.watch({
    ...(rv === undefined || rv === 0 ? {} : { fromRevision: rv }),
    initialEvents: rv === undefined || rv === 0 || sendInitialEvents,
    initialEventsEndBookmark: sendInitialEvents && bookmarks,
    bookmarks,
    ...(namespace === undefined ? {} : { namespace }),
    ...(predicate === undefined ? {} : { predicate }),
    onEvent,
    onClose,
  });
  res.on('drain', () => watcher?.resume());
  if (closed) watcher.stop(); // closed while starting (an expired resourceVersion)
  res.on('close', finish);
  if (timeoutSeconds <= 0) finish();
  else {
    // kube sends a last bookmark shortly before the deadline, so the client resumes from a fresh revision.
    if (bookmarks && timeoutSeconds > 2) timers.push(setTimeout(() => watcher?.bookmark(), (timeoutSeconds - 2) * 1000));
    timers.push(setTimeout(finish, timeoutSeconds * 1000));
  }
  return reply;
}

/**
 * Serializes events, once per object and representation: every watcher of a resource gets the
 * same event object from the cache, so a fan-out to a thousand watchers serializes each change
 * once per format, not once per watcher.
 */
class EventEncoder {
  private static readonly memo = new WeakMap<KubeObject, Map<string, string>>();
  private readonly def: ResourceDef;
  private readonly rep: Representation;
  private readonly nowMs: () => number;
  private sentColumns = false;

  constructor(def: ResourceDef, rep: Representation, nowMs: () => number) {
    this.def = def;
    this.rep = rep;
    this.nowMs = nowMs;
  }

  event(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): string {
    if (this.rep.as === 'table') {
      const table = toTable(this.def, [object], { nowMs: this.nowMs(), includeObject: 'Metadata', resourceVersion: object.metadata.resourceVersion ?? '' });
      const body = this.sentColumns ? { ...table, columnDefinitions: [] } : table;
      this.sentColumns = true;
      return `${JSON.stringify({ type, object: { ...body, apiVersion: `meta.k8s.io/${this.rep.version}` } })}\n`;
    }
    const key = `${type}:${this.rep.as}`;
    let byFormat = EventEncoder.memo.get(object);
    const hit = byFormat?.get(key);
    if (hit) return hit;
    const payload =
      this.rep.as === 'metadata' ? { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${this.rep.version}`, metadata: object.metadata } : object;
    const line = `${JSON.stringify({ type, object: payload })}\n`;
    if (!byFormat) {
      byFormat = new Map();
      EventEncoder.memo.set(object, byFormat);
    }
    byFormat.set(key, line);
    return line;
  }

  bookmark(revision: number, initialEventsEnd: boolean): string {
    const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
    if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
    return `${JSON.stringify({ type: 'BOOKMARK', object: { kind: this.def.kind, apiVersion: apiVersionOf(this.def), metadata } })}\n`;
  }

  error(err: ApiError): string {
    return `${JSON.stringify({ type: 'ERROR', object: err.status })}\n`;
  }
}
