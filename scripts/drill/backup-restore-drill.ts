import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { restoreSnapshotFile, SNAPSHOT_CLIENT_OPTIONS, writeSnapshotFile } from '../store-snapshot-file.js';
import type { DrillContext, DrillDefinition } from './drill-runner.js';
import { observed } from './verdicts.js';

/** The value of `flag` in a recorded command line. */
function flagOf(argv: readonly string[], flag: string): string {
  const i = argv.indexOf(flag);
  const v = i >= 0 ? argv[i + 1] : undefined;
  if (v === undefined) throw new Error(`the recorded command line has no ${flag}`);
  return v;
}

/** key → modRevision of every key under the prefixes, at `revision` (0: now). */
async function keySpace(ctx: DrillContext, revision: number): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const prefix of ['/registry/', 'drill/']) {
    const r = await ctx.store.range(prefix, { prefix: true, ...(revision > 0 ? { revision } : {}) });
    for (const kv of r.kvs) out.set(kv.key, kv.modRevision);
  }
  return out;
}

/**
 * backup-restore, as etcd's disaster recovery: writes stop, `snapshot save` takes a backup, every
 * process is killed and every replica's data directory destroyed (moved aside, removed at the
 * end); each replica is restored from the backup (`snapshot restore` with the cluster's own
 * --peers) and the cluster started again, the apiserver and the components after the store, as
 * Kubernetes asks after an etcd restore. Every key of the backup must be back at its revision.
 */
export const backupRestore: DrillDefinition = {
  summary: 'snapshot the store, destroy every replica, restore the cluster from the snapshot',
  async inject(ctx) {
    await ctx.stopWrites();
    ctx.note('workload writes stopped: everything acknowledged is in the backup to come');
    const { cluster } = ctx;
    const snapshotClient = cluster.storeClient(SNAPSHOT_CLIENT_OPTIONS);
    let snap: { data: Uint8Array; revision: number };
    try {
      snap = await snapshotClient.request({ op: 'snapshot' });
    } finally {
      await snapshotClient.close();
    }
    const backups = join(cluster.layout.dir, 'drill-backups');
    mkdirSync(backups, { recursive: true });
    const file = join(backups, `backup-${ctx.plan.seed}-${Date.now().toString(36)}.db`);
    writeSnapshotFile(file, snap.data, snap.revision);
    const saved = await keySpace(ctx, snap.revision);
    ctx.note(`snapshot save ${file}: revision ${snap.revision}, ${saved.size} keys, ${snap.data.byteLength} bytes`);

    const stores = cluster.storeNames();
    // The fault proxy is the network between the replicas, not a member of the cluster: it stays.
    const others = cluster.names(/^(?!store-|fault-proxy$)/);
    ctx.faultStarted();
    for (const n of others) await cluster.kill(n);
    for (const n of stores) await cluster.kill(n);
    ctx.note(`kill -9 every process (${[...others, ...stores].join(', ')})`);
    const destroyed: string[] = [];
    for (const n of stores) {
      const argv = cluster.record(n).argv;
      const dataDir = flagOf(argv, '--data-dir');
      const aside = `${dataDir}.destroyed-${Date.now().toString(36)}`;
      renameSync(dataDir, aside);
      destroyed.push(aside);
      await restoreSnapshotFile(file, dataDir, flagOf(argv, '--peers'));
    }
    ctx.note(`destroyed every replica's data and restored each from the snapshot (snapshot restore --peers as the cluster's)`);
    await cluster.bringBack(stores);
    const leader = await cluster.leader();
    ctx.note(`store replicas up again; store-${leader} leads`);
    await cluster.bringBack(others);
    ctx.healed();
    ctx.note('apiserver and components started again');

    const now = await keySpace(ctx, 0);
    const missing = [...saved].filter(([key, rev]) => now.get(key) !== rev && !(now.has(key) && key.startsWith('/registry/') && isRewrittenByComponents(key)));
    ctx.verdict(
      observed(
        'every object of the backup is back',
        missing.length === 0,
        missing.length === 0
          ? `${saved.size} keys of revision ${snap.revision} all back`
          : `${missing.length} of ${saved.size} missing or at another revision: ${missing
              .slice(0, 5)
              .map(([k, r]) => `${k}@${r} (now ${now.get(k) ?? 'gone'})`)
              .join(', ')}`,
      ),
    );
    for (const d of destroyed) rmSync(d, { recursive: true, force: true });
  },
};

/**
 * Keys the restarted components rewrite by themselves as soon as they run (leases renewed,
 * node heartbeats, events): present is enough for those; a newer revision is their own work.
 */
function isRewrittenByComponents(key: string): boolean {
  return /^\/registry\/(leases|nodes|events|pods|replicasets|deployments|endpoints|endpointslices)\//.test(key);
}
