import pino from 'pino';
import type { Test } from 'tap';
import { MemoryStoreClient } from '../../raft/client/memory-store-client.js';
import { type Apiserver, type ApiserverOptions, buildApiserver } from '../../apiserver/server.js';

export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers
  readonly json: any;
}

export interface Harness {
  readonly api: Apiserver;
  readonly store: MemoryStoreClient;
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
}

/** An apiserver on the in-memory store twin, driven through fastify's inject (no sockets). */
export async function startApiserver(t: Test, options: Partial<ApiserverOptions> = {}): Promise<Harness> {
  const store = new MemoryStoreClient();
  const api = buildApiserver({ store, logger: pino({ level: 'silent' }), ...options });
  t.teardown(async () => {
    await api.close();
    await store.close();
  });
  await api.startCaches();
  const request = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const payload = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const res = await api.app.inject({
      method: method as 'GET',
      url,
      headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(payload !== undefined ? { payload } : {}),
    });
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, text: res.body, json };
  };
  return { api, store, request };
}

export function pod(name: string, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { containers: [{ name: 'main', image: 'busybox' }] },
    ...extra,
  };
}
