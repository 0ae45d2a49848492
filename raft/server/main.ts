import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { NodeId, Snapshot } from '../core/types.js';
import { WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT } from '../kv/watch-hub.js';
import { DiskStorage } from '../storage/disk-storage.js';
import { WalCorruptError } from '../storage/errors.js';
import { NodeFs } from '../storage/node-fs.js';
import { loadSecret } from '../transport/secret.js';
import { WsTransport } from '../transport/ws-transport.js';
import { ClientEndpoint } from './client-endpoint.js';
import { encodeStateSnapshot, type Member } from './members.js';
import { ReplicaMetrics } from './metrics.js';
import { Replica } from './replica.js';

const HELP = `picokube store: one replica of picokube's Raft-replicated key-value store

usage: picokube store --id N --peers 1=HOST:PORT,2=HOST:PORT,3=HOST:PORT --data-dir DIR [options]

  --id N                   this replica's id (a positive integer, never reused)
  --peers LIST             every member's peer address, this one's included: id=host:port,...
  --client-port PORT       client port: the store protocol (WebSocket), /healthz, /readyz, /metrics (default 2379)
  --client-addresses LIST  every member's client address, id=host:port,..., for leader hints
  --host HOST              address to bind (default 127.0.0.1)
  --data-dir DIR           where the WAL and snapshots live (created if missing)
  --secret-file FILE       the cluster secret peers prove to each other (or --secret VALUE,
                           or the PICOKUBE_STORE_SECRET environment variable)
  --client-auth MODE       who may use the client port's store protocol: 'secret' (clients must
                           prove the cluster secret: only the apiserver and storectl reach the
                           data) or 'none' (default, for tests and benches); /healthz, /readyz
                           and /metrics stay open
  --cluster-id NAME        peers of another cluster are refused (default picokube)
  --join                   start empty and wait to be added by 'storectl member add' (no bootstrap)
  --tick-ms MS             Raft tick (default 25)
  --election-ticks N       election timeout in ticks, randomized up to twice that (default 12)
  --heartbeat-ticks N      heartbeat interval in ticks (default 2)
  --snapshot-count N       applied entries between snapshots (default 100000, as etcd)
  --snapshot-catchup-entries N
                           entries kept behind a snapshot for slow followers (default 5000)
  --watch-progress-notify-interval-ms MS
                           how often idle watches that asked for progress notifications are
                           sent the current revision (default 600000, etcd's 10 minutes; 0: never)
  --max-peer-frame-bytes N largest peer frame accepted; bigger ones close the link (default 64 MiB)
  --max-peer-snapshot-bytes N
                           largest snapshot message sent or accepted in chunks (default 1 GiB)
  --log-level LEVEL        pino level (default info)
  --help                   this text
`;

function parseList(s: string, flag: string): Map<NodeId, string> {
  const out = new Map<NodeId, string>();
  for (const part of s.split(',').filter(Boolean)) {
    const m = /^(\d+)=(.+)$/.exec(part.trim());
    if (!m) throw new Error(`${flag}: expected id=host:port, got ${part}`);
    out.set(Number(m[1]), m[2] as string);
  }
  return out;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const sub of ['wal', 'snap']) {
    try {
      for (const f of readdirSync(join(dir, sub))) total += statSync(join(dir, sub, f)).size;
    } catch {
      /* not created yet */
    }
  }
  return total;
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      id: { type: 'string' },
      peers: { type: 'string' },
      'client-port': { type: 'string', default: '2379' },
      'client-addresses': { type: 'string', default: '' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'secret-file': { type: 'string' },
      secret: { type: 'string' },
      'cluster-id': { type: 'string', default: 'picokube' },
      'client-auth': { type: 'string', default: 'none' },
      join: { type: 'boolean', default: false },
      'tick-ms': { type: 'string', default: '25' },
      'election-ticks': { type: 'string', default: '12' },
      'heartbeat-ticks': { type: 'string', default: '2' },
      'snapshot-count': { type: 'string', default: '100000' },
      'snapshot-catchup-entries': { type: 'string', default: '5000' },
      'log-level': { type: 'string', default: 'info' },
      'watch-progress-notify-interval-ms': { type: 'string', default: String(WATCH_PROGRESS_NOTIFY_INTERVAL_MS_DEFAULT) },
      'max-peer-frame-bytes': { type: 'string', default: String(64 * 1024 * 1024) },
      'max-peer-snapshot-bytes': { type: 'string', default: String(1024 * 1024 * 1024) },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const logger = pino({ level: values['log-level'], base: { component: 'store', replica: Number(values.id) } });
  const fail = (msg: string): never => {
    logger.fatal(msg);
    process.stderr.write(`picokube store: ${msg}\n`);
    process.exit(2);
  };
  const id = Number(values.id);
  if (!Number.isSafeInteger(id) || id <= 0) fail('--id must be a positive integer');
  if (!values.peers) fail('--peers is required');
  if (!values['data-dir']) fail('--data-dir is required');
  const progressNotifyMs = Number(values['watch-progress-notify-interval-ms']);
  if (!Number.isSafeInteger(progressNotifyMs) || progressNotifyMs < 0) fail('--watch-progress-notify-interval-ms must be a non-negative integer');
  const peers = parseList(values.peers as string, '--peers');
  const clientAddresses = parseList(values['client-addresses'], '--client-addresses');
  const ownPeer = peers.get(id);
  if (!ownPeer) fail(`--peers has no address for this replica (${id})`);
  const [peerHost, peerPortText] = (ownPeer as string).replace(/^wss?:\/\//, '').split(':');
  const secretSource = values['secret-file']
    ? { file: values['secret-file'] }
    : values.secret
      ? { value: values.secret }
      : process.env.PICOKUBE_STORE_SECRET
        ? { value: process.env.PICOKUBE_STORE_SECRET }
        : undefined;
  if (!secretSource) fail('a cluster secret is required: --secret-file FILE, --secret VALUE or PICOKUBE_STORE_SECRET');
  const secret = loadSecret(secretSource as { file: string } | { value: string });
  const clientAuth = values['client-auth'];
  if (clientAuth !== 'secret' && clientAuth !== 'none') fail(`--client-auth must be secret or none, not ${clientAuth}`);
  const dataDir = values['data-dir'] as string;
  const clientPort = Number(values['client-port']);
  const clientAddress = `${values.host}:${clientPort}`;
  clientAddresses.set(id, clientAddresses.get(id) ?? clientAddress);
  const members: Member[] = [...peers].map(([mid, peerAddress]) => ({ id: mid, peerAddress, clientAddress: clientAddresses.get(mid) ?? '' }));

  let storage: DiskStorage;
  try {
    storage = await DiskStorage.open({ fs: new NodeFs(), dir: dataDir, pause: () => new Promise((resolve) => setImmediate(resolve)) });
  } catch (e) {
    if (e instanceof WalCorruptError)
      fail(
        `refusing to start: ${e.message}. The WAL is damaged before its last record; restore from a snapshot (storectl snapshot restore) or remove this replica and add it back empty.`,
      );
    throw e;
  }
  const rec = storage.recovery;
  if (rec.walRepaired)
    logger.warn(
      { file: rec.walRepaired.file, offset: rec.walRepaired.offset, reason: rec.walRepaired.reason },
      `WAL tail truncated at ${rec.walRepaired.file}:${rec.walRepaired.offset} (${rec.walRepaired.reason})`,
    );
  for (const s of rec.skippedSnapshots) logger.warn({ file: s.file, reason: s.reason }, 'snapshot skipped');
  if (rec.fellBack) logger.warn('fell back to an older snapshot');

  const fresh = storage.lastIndex() === 0 && storage.snapshot().metadata.index === 0;
  if (fresh && !values.join) {
    // A new cluster: every founding member writes the same first snapshot, the membership at index 1.
    const boot: Snapshot = {
      metadata: { index: 1, term: 1, confState: { voters: [...peers.keys()].sort((a, b) => a - b), learners: [] } },
      data: encodeStateSnapshot({ kv: undefined, members }),
    };
    await storage.save({ term: 1, vote: 0, commit: 1 }, [], boot);
    await storage.sync();
    logger.info({ voters: boot.metadata.confState.voters }, 'bootstrapped a new cluster');
  }

  const transport = new WsTransport({
    id,
    clusterId: values['cluster-id'],
    secret,
    logger,
    host: peerHost ?? '127.0.0.1',
    port: Number(peerPortText),
    peers: [...peers].filter(([pid]) => pid !== id),
    limits: { frameBytesMax: Number(values['max-peer-frame-bytes']), snapshotBytesMax: Number(values['max-peer-snapshot-bytes']) },
  });
  const metrics = new ReplicaMetrics(transport);
  const replica = new Replica({
    id,
    storage,
    transport,
    logger,
    metrics,
    initialMembers: members,
    tickMs: Number(values['tick-ms']),
    electionTicks: Number(values['election-ticks']),
    heartbeatTicks: Number(values['heartbeat-ticks']),
    snapshotEveryEntries: Number(values['snapshot-count']),
    keepEntriesAfterSnapshot: Number(values['snapshot-catchup-entries']),
    watchProgressNotifyIntervalMs: progressNotifyMs,
  });
  const endpoint = new ClientEndpoint(replica, metrics, logger, () => dirBytes(dataDir), clientAuth === 'secret' ? { clientSecret: secret } : {});
  try {
    await transport.start();
    await endpoint.listen(clientPort, values.host);
  } catch (e) {
    fail(`cannot listen: ${(e as Error).message}`);
  }
  let stopping = false;
  const stop = async (code: number, why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping');
    // A leader hands over first, so the cluster does not wait out an election timeout.
    const to = replica.isLeader ? replica.bestTransferee() : undefined;
    if (to !== undefined && replica.transferLeader(to)) {
      const deadline = Date.now() + 2000;
      while (replica.isLeader && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      logger.info({ to, done: !replica.isLeader }, 'leadership transfer before stopping');
    }
    await replica.close();
    await endpoint.close();
    await transport.close();
    await storage.close();
    process.exit(code);
  };
  replica.start((e) => void stop(1, `fatal: ${e.message}`));
  replica.onRemoved(() => void stop(0, 'removed from the cluster'));
  process.on('SIGTERM', () => void stop(0, 'SIGTERM'));
  process.on('SIGINT', () => void stop(0, 'SIGINT'));
  logger.info({ id, clientPort, peer: ownPeer, dataDir, members: members.length, clientAuth }, 'store replica started');
}
