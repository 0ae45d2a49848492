import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { StoreStatus } from '../raft/client/store-client.js';
import { WsStoreClient } from '../raft/client/ws-store-client.js';
import type { Compare, KeyValue, TxnOp } from '../raft/kv/types.js';
import { loadSecret } from '../raft/transport/secret.js';
import { readSnapshotFile, restoreSnapshotFile, SNAPSHOT_CLIENT_OPTIONS, writeSnapshotFile } from './store-snapshot-file.js';
import { parseTxnScript } from './txn-script.js';

const HELP = `picokube storectl: the store's command-line client (like etcdctl)

usage: picokube storectl [--endpoints HOST:PORT,...] [--secret-file FILE] [-w simple|json|table] COMMAND

  put KEY VALUE [--lease ID]
  get KEY [--prefix] [--rev N] [--limit N] [--keys-only] [--count-only] [--serializable]
  del KEY [--prefix]
  txn                         compares, a blank line, success ops, a blank line, failure ops on stdin
                              (etcdctl's syntax: mod("k") > "0" / value("k") = "v"; put k v / get k / del k)
  watch KEY [--prefix] [--rev N]
  compact REVISION
  lease grant TTL | lease keep-alive ID [--once] | lease revoke ID | lease timetolive ID
  endpoint status | endpoint hash [--rev N]
  member list | member add ID --peer-url HOST:PORT --client-url HOST:PORT [--learner]
         | member promote ID | member remove ID
  move-leader ID
  snapshot save FILE | snapshot restore FILE --data-dir DIR --peers 1=HOST:PORT,...

endpoints default to $PICOKUBE_STORE_ENDPOINTS or 127.0.0.1:2379
--secret-file (default $PICOKUBE_STORE_SECRET_FILE): the cluster secret, for replicas run with
--client-auth secret (picokube up runs them so; its secret is <dir>/store-secret)
`;

const dec = new TextDecoder();
const enc = new TextEncoder();

/** Where storectl reads and writes: the process's streams, or a test's buffers. */
export interface StorectlIo {
  out(text: string): void;
  err(text: string): void;
  stdin(): string;
}

const PROCESS_IO: StorectlIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  stdin: () => readFileSync(0, 'utf8'),
};

let io: StorectlIo = PROCESS_IO;

/** Runs one storectl command; resolves with the exit code it would have. */
export async function run(argv: string[], streams: StorectlIo = PROCESS_IO): Promise<number> {
  io = streams;
  try {
    return await command(argv);
  } finally {
    io = PROCESS_IO;
  }
}

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await run(argv);
}

async function command(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      endpoints: { type: 'string' },
      'secret-file': { type: 'string' },
      w: { type: 'string', short: 'w', default: 'simple' },
      prefix: { type: 'boolean', default: false },
      rev: { type: 'string' },
      limit: { type: 'string' },
      'keys-only': { type: 'boolean', default: false },
      'count-only': { type: 'boolean', default: false },
      serializable: { type: 'boolean', default: false },
      lease: { type: 'string' },
      once: { type: 'boolean', default: false },
      learner: { type: 'boolean', default: false },
      'peer-url': { type: 'string' },
      'client-url': { type: 'string' },
      'data-dir': { type: 'string' },
      peers: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [cmd, ...args] = positionals;
  if (values.help || !cmd) {
    io.out(HELP);
    return 0;
  }
  if (cmd === 'snapshot' && args[0] === 'restore') {
    const file = args[1];
    if (!file || !values['data-dir'] || !values.peers) throw usage('snapshot restore FILE --data-dir DIR --peers 1=HOST:PORT,...');
    try {
      const r = await restoreSnapshotFile(file, values['data-dir'], values.peers);
      io.out(`restored revision ${r.revision} into ${values['data-dir']} for voters ${r.voters.join(',')}\n`);
      return 0;
    } catch (e) {
      io.err(`Error: ${(e as Error).message}\n`);
      return 1;
    }
  }
  const endpoints = (values.endpoints ?? process.env.PICOKUBE_STORE_ENDPOINTS ?? '127.0.0.1:2379').split(',').filter(Boolean);
  const secretFile = values['secret-file'] ?? process.env.PICOKUBE_STORE_SECRET_FILE;
  let secret: Uint8Array | undefined;
  try {
    secret = secretFile ? loadSecret({ file: secretFile }) : undefined;
  } catch (e) {
    io.err(`Error: ${(e as Error).message}\n`);
    return 1;
  }
  const client = new WsStoreClient({ endpoints, requestTimeoutMs: 15_000, ...(secret ? { secret } : {}) });
  const json = values.w === 'json';
  const out = (o: unknown, text: () => string): void => {
    io.out(json ? `${JSON.stringify(o, jsonBytes)}\n` : text());
  };
  try {
    switch (cmd) {
      case 'put': {
        const [key, value] = args;
        if (key === undefined || value === undefined) throw usage('put KEY VALUE');
        const r = await client.put(key, enc.encode(value), values.lease ? { lease: Number(values.lease) } : {});
        out(r, () => 'OK\n');
        break;
      }
      case 'get': {
        const [key] = args;
        if (key === undefined) throw usage('get KEY');
        const r = await client.range(key, {
          prefix: values.prefix,
          ...(values.rev ? { revision: Number(values.rev) } : {}),
          ...(values.limit ? { limit: Number(values.limit) } : {}),
          keysOnly: values['keys-only'],
          countOnly: values['count-only'],
          serializable: values.serializable,
        });
        out(r, () =>
          values['count-only'] ? `${r.count}\n` : r.kvs.map((kv) => (values['keys-only'] ? `${kv.key}\n` : `${kv.key}\n${dec.decode(kv.value)}\n`)).join(''),
        );
        break;
      }
      case 'del': {
        const [key] = args;
        if (key === undefined) throw usage('del KEY');
        const r = await client.delete(key, { prefix: values.prefix });
        out(r, () => `${r.deleted}\n`);
        break;
      }
      case 'txn': {
        const { compare, success, failure } = parseTxnScript(io.stdin());
        const r = await client.txn({ compare: compare as Compare[], success: success as TxnOp[], failure: failure as TxnOp[] });
        out(
          r,
          () =>
            `${r.succeeded ? 'SUCCESS' : 'FAILURE'}\n${r.results.map((x) => (x.t === 'range' ? x.kvs.map((kv) => `${kv.key}\n${dec.decode(kv.value)}\n`).join('') : x.t === 'put' ? 'OK\n' : `${x.deleted}\n`)).join('')}`,
        );
        break;
      }
      case 'watch': {
        const [key] = args;
        if (key === undefined) throw usage('watch KEY');
        const w = client.watch(key, { prefix: values.prefix, prevKv: true, ...(values.rev ? { fromRevision: Number(values.rev) } : {}) });
        process.on('SIGINT', () => w.cancel());
        for await (const batch of w) {
          for (const e of batch.events)
            out({ revision: batch.revision, ...e }, () => `${e.type.toUpperCase()}\n${e.kv.key}\n${e.type === 'put' ? `${dec.decode(e.kv.value)}\n` : ''}`);
        }
        break;
      }
      case 'compact': {
        const r = await client.compact(Number(args[0]));
        out(r, () => `compacted revision ${r.compactRevision}\n`);
        break;
      }
      case 'lease':
        await lease(client, args, values.once, out);
        break;
      case 'endpoint':
        await endpoint(client, args[0], values.rev ? Number(values.rev) : 0, json);
        break;
      case 'member':
        await member(client, args, values, json);
        break;
      case 'move-leader': {
        const to = Number(args[0]);
        const r = await client.request<unknown>({ op: 'transferLeader', to });
        out(r, () => `leadership transferring to ${to}\n`);
        break;
      }
      case 'snapshot': {
        if (args[0] !== 'save' || !args[1]) throw usage('snapshot save FILE');
        // A client of its own that waits for the whole key space, however long it takes to send.
        const snapshotClient = new WsStoreClient({ endpoints, ...SNAPSHOT_CLIENT_OPTIONS, ...(secret ? { secret } : {}) });
        let r: { data: Uint8Array; revision: number; index: number };
        try {
          r = await snapshotClient.request({ op: 'snapshot' });
        } finally {
          await snapshotClient.close();
        }
        writeSnapshotFile(args[1], r.data, r.revision);
        const check = readSnapshotFile(args[1]);
        out(
          { file: args[1], revision: check.revision, bytes: r.data.byteLength },
          () => `snapshot saved to ${args[1]} at revision ${r.revision} (${r.data.byteLength} bytes)\n`,
        );
        break;
      }
      default:
        throw usage(`unknown command ${cmd}`);
    }
  } catch (e) {
    io.err(`Error: ${(e as Error).message}\n`);
    return 1;
  } finally {
    await client.close();
  }
  return 0;
}

function usage(what: string): Error {
  return new Error(`usage: picokube storectl ${what}`);
}

/** Bytes print as base64 in JSON, as etcdctl's (a Buffer reaches the replacer already as {type, data}). */
function jsonBytes(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)) {
    return Buffer.from((v as { data: number[] }).data).toString('base64');
  }
  return v;
}

type Out = (o: unknown, text: () => string) => void;

async function lease(client: WsStoreClient, args: string[], once: boolean, out: Out): Promise<void> {
  const [sub, arg] = args;
  const n = Number(arg);
  switch (sub) {
    case 'grant': {
      const r = await client.leaseGrant(n);
      out(r, () => `lease ${r.id.toString(16)} granted with TTL(${r.ttlSeconds}s)\n`);
      return;
    }
    case 'revoke': {
      const id = parseLeaseId(arg);
      const r = await client.leaseRevoke(id);
      out(r, () => `lease ${id.toString(16)} revoked\n`);
      return;
    }
    case 'keep-alive': {
      const id = parseLeaseId(arg);
      for (;;) {
        const r = await client.leaseKeepAlive(id);
        out(r, () => `lease ${id.toString(16)} keepalived with TTL(${r.ttlSeconds})\n`);
        if (once) return;
        await new Promise((res) => setTimeout(res, Math.max(500, (r.ttlSeconds * 1000) / 3)));
      }
    }
    case 'timetolive': {
      const r = await client.leaseTimeToLive(parseLeaseId(arg));
      out(r, () => `lease ${r.id.toString(16)} granted with TTL(${r.ttlSeconds}s), attached keys(${r.keys.join(',')})\n`);
      return;
    }
    default:
      throw usage('lease grant TTL | keep-alive ID | revoke ID | timetolive ID');
  }
}

/** Lease ids are printed and read in hex, as etcdctl's. */
function parseLeaseId(s: string | undefined): number {
  if (s === undefined || !/^[0-9a-f]+$/i.test(s)) throw usage('lease ... ID (hex)');
  return Number.parseInt(s, 16);
}

async function endpoint(client: WsStoreClient, sub: string | undefined, rev: number, json: boolean): Promise<void> {
  if (sub === 'hash') {
    const rows = await Promise.all(
      client.endpoints.map(async (a) => ({
        endpoint: a,
        ...(await client.callOn<{ hash: number; revision: number }>(a, { op: 'hash', revision: rev }).catch((e: Error) => ({ error: e.message }))),
      })),
    );
    io.out(
      json
        ? `${JSON.stringify(rows)}\n`
        : `${rows.map((r) => ('error' in r ? `${r.endpoint}, error: ${r.error}` : `${r.endpoint}, ${r.hash}, revision ${r.revision}`)).join('\n')}\n`,
    );
    return;
  }
  if (sub !== 'status') throw usage('endpoint status | endpoint hash');
  const rows = await client.statusAll();
  if (json) {
    io.out(`${JSON.stringify(rows)}\n`);
    return;
  }
  const table = rows.map((r) => {
    const s = r.status as StoreStatus | undefined;
    if (!s) return [r.address, '-', '-', '-', '-', '-', '-', r.error ?? ''];
    return [
      r.address,
      String(s.id),
      s.leader === s.id ? 'true' : 'false',
      String(s.term),
      String(s.revision),
      String(s.raftIndex),
      String(s.raftAppliedIndex),
      formatBytes(s.dbSizeBytes),
    ];
  });
  printTable(['ENDPOINT', 'ID', 'IS LEADER', 'RAFT TERM', 'REVISION', 'RAFT INDEX', 'RAFT APPLIED INDEX', 'DB SIZE'], table);
}

async function member(client: WsStoreClient, args: string[], values: Record<string, unknown>, json: boolean): Promise<void> {
  const [sub, arg] = args;
  const id = Number(arg);
  let s: StoreStatus;
  switch (sub) {
    case 'list':
      s = await client.status();
      break;
    case 'add':
      if (!values['peer-url'] || !values['client-url']) throw usage('member add ID --peer-url HOST:PORT --client-url HOST:PORT [--learner]');
      s = await client.request<StoreStatus>({
        op: 'memberAdd',
        memberId: id,
        peerAddress: values['peer-url'],
        clientAddress: values['client-url'],
        learner: values.learner === true,
      });
      break;
    case 'promote':
      s = await client.request<StoreStatus>({ op: 'memberPromote', memberId: id });
      break;
    case 'remove':
      s = await client.request<StoreStatus>({ op: 'memberRemove', memberId: id });
      break;
    default:
      throw usage('member list | add | promote | remove');
  }
  if (json) io.out(`${JSON.stringify(s.members)}\n`);
  else
    printTable(
      ['ID', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'],
      s.members.map((m) => [String(m.id), m.name, m.peerAddress, m.clientAddress, String(m.isLearner)]),
    );
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+\n`;
  const fmt = (r: string[]) => `|${r.map((c, i) => ` ${c.padEnd(widths[i] ?? 0)} `).join('|')}|\n`;
  io.out(line + fmt(head) + line + rows.map(fmt).join('') + line);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export type { KeyValue };
