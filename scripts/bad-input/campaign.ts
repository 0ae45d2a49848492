import type { RequestOptions } from 'node:https';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { BadRequest, Category } from './cases.js';

/**
 * Sends the campaign's requests to a live apiserver and judges each answer. A request passes when
 * its answer is a well-formed `metav1.Status` with a 4xx code (or, for `tolerated` requests, any
 * well-formed answer below 500). Anything else — a 5xx, a body that is not a Status, a 2xx for a
 * request that must be refused, a dropped connection, no answer in time — is a violation, kept
 * with the request that caused it.
 */

export interface Answer {
  readonly code: number;
  readonly body: Buffer;
  readonly contentType: string;
}

export interface Violation {
  readonly category: Category;
  readonly method: string;
  readonly path: string;
  readonly why: string;
}

export interface CampaignResult {
  sent: number;
  readonly byCategory: Record<string, number>;
  readonly byCode: Record<string, number>;
  readonly violations: Violation[];
}

export interface Target {
  /** http(s)://host:port of the apiserver. */
  readonly server: string;
  /** TLS options and an Authorization header, for a secured apiserver. */
  readonly tls?: Pick<RequestOptions, 'ca' | 'cert' | 'key'>;
  readonly headers?: Readonly<Record<string, string>>;
}

const ANSWER_TIMEOUT_MS = 30_000;

/** The judgement of one answer; undefined when it passes. */
export function judge(req: BadRequest, answer: Answer): string | undefined {
  if (answer.code >= 500) return `answered ${answer.code}: ${answer.body.toString('utf8').slice(0, 200)}`;
  if (answer.code < 400) {
    if (req.expect === 'refused') return `accepted with ${answer.code}; it must be refused`;
    return undefined;
  }
  const problem = statusProblem(answer);
  return problem === undefined ? undefined : `answered ${answer.code} without a well-formed Status: ${problem}`;
}

/** Why a 4xx answer is not a kube Status (kind Status, apiVersion v1, status Failure, the same code, a reason and a message). */
export function statusProblem(answer: Answer): string | undefined {
  if (!answer.contentType.startsWith('application/json')) return `content type '${answer.contentType}'`;
  let status: Record<string, unknown>;
  try {
    status = JSON.parse(answer.body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return `body is not JSON: ${answer.body.toString('utf8').slice(0, 120)}`;
  }
  if (status === null || typeof status !== 'object') return 'body is not an object';
  if (status.kind !== 'Status' || status.apiVersion !== 'v1') return `kind/apiVersion ${String(status.kind)}/${String(status.apiVersion)}`;
  if (status.status !== 'Failure') return `status '${String(status.status)}'`;
  if (status.code !== answer.code) return `code ${String(status.code)} differs from the HTTP code`;
  if (typeof status.reason !== 'string' || status.reason === '') return 'no reason';
  if (typeof status.message !== 'string' || status.message === '') return 'no message';
  return undefined;
}

/**
 * One request over a fresh connection (so that a refused one cannot poison the next), written
 * on a raw socket: a server may answer 413 and close before a large body is all sent, and the
 * answer must still be read (as Go's client does), which node's http client cannot promise.
 */
export function send(target: Target, req: BadRequest): Promise<Answer> {
  const url = new URL(target.server);
  const secure = url.protocol === 'https:';
  const headers: Record<string, string> = {
    host: url.host,
    ...target.headers,
    ...req.headers,
    connection: 'close',
    'content-length': String(req.body?.length ?? 0),
  };
  const head = `${req.method} ${req.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join('\r\n')}\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const port = Number(url.port || (secure ? 443 : 80));
    const socket: Socket = secure ? tlsConnect({ host: url.hostname, port, ...(target.tls ?? {}) }) : connect({ host: url.hostname, port });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)), ANSWER_TIMEOUT_MS);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: Error & { code?: string }) => {
      // A write cut short by a server that already answered: the answer is what counts.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') return;
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const answer = parseResponse(Buffer.concat(chunks));
      if (answer) resolve(answer);
      else reject(new Error(chunks.length === 0 ? 'the connection closed without an answer' : 'the answer is not HTTP'));
    });
    socket.write(head);
    if (req.body) socket.write(req.body);
  });
}

/** A complete HTTP/1.1 response (Content-Length or chunked body), or undefined. */
export function parseResponse(raw: Buffer): Answer | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = raw.subarray(end + 4);
  if ((headers.get('transfer-encoding') ?? '').toLowerCase() === 'chunked') body = dechunk(body);
  else if (headers.has('content-length')) body = body.subarray(0, Number(headers.get('content-length')));
  return { code: Number(status[1]), body, contentType: headers.get('content-type') ?? '' };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** Runs every request, `concurrency` at a time, and tallies the answers. */
export async function runCampaign(target: Target, requests: readonly BadRequest[], concurrency = 8): Promise<CampaignResult> {
  const result: CampaignResult = { sent: 0, byCategory: {}, byCode: {}, violations: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < requests.length; i = next++) {
      const req = requests[i] as BadRequest;
      result.sent++;
      result.byCategory[req.category] = (result.byCategory[req.category] ?? 0) + 1;
      try {
        const answer = await send(target, req);
        result.byCode[answer.code] = (result.byCode[answer.code] ?? 0) + 1;
        const why = judge(req, answer);
        if (why) result.violations.push({ category: req.category, method: req.method, path: req.path.slice(0, 160), why });
      } catch (err) {
        result.byCode.error = (result.byCode.error ?? 0) + 1;
        result.violations.push({
          category: req.category,
          method: req.method,
          path: req.path.slice(0, 160),
          why: `connection failed: ${(err as Error).message}`,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  return result;
}

export interface SlowLorisResult {
  readonly connections: number;
  /** Normal requests answered while the slow connections were open. */
  readonly servedMeanwhile: number;
  readonly failedMeanwhile: number;
}

/**
 * Opens `connections` sockets that send a request's headers one byte at a time, slowly, for
 * `holdMs`, while `probe` is called in a loop: the apiserver must go on serving normal requests.
 * The slow sockets are closed at the end (bounded: this never waits for the server's header
 * timeout).
 */
export async function slowLoris(server: string, connections: number, holdMs: number, probe: () => Promise<boolean>): Promise<SlowLorisResult> {
  const url = new URL(server);
  const head = `GET /api/v1/namespaces HTTP/1.1\r\nHost: ${url.host}\r\nX-Slow: ${'z'.repeat(4000)}\r\n`;
  const sockets = Array.from({ length: connections }, () => {
    const s = connect({ host: url.hostname, port: Number(url.port) });
    s.on('error', () => {});
    let at = 0;
    const drip = setInterval(() => {
      if (at < head.length && !s.destroyed) s.write(head[at++] as string);
    }, 100);
    s.on('close', () => clearInterval(drip));
    return { s, drip };
  });
  let servedMeanwhile = 0;
  let failedMeanwhile = 0;
  const until = Date.now() + holdMs;
  while (Date.now() < until) {
    if (await probe().catch(() => false)) servedMeanwhile++;
    else failedMeanwhile++;
  }
  for (const { s, drip } of sockets) {
    clearInterval(drip);
    s.destroy();
  }
  return { connections, servedMeanwhile, failedMeanwhile };
}
