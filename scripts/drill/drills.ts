import { performance } from 'node:perf_hooks';
import { pollUntil, sleep } from '../bench/processes.js';
import { backupRestore } from './backup-restore-drill.js';
import type { DrillName } from './drill-plan.js';
import type { DrillContext, DrillDefinition } from './drill-runner.js';
import { partitionStoreLeader } from './partition-drill.js';
import { replaceStoreMember } from './replace-member-drill.js';
import { observed } from './verdicts.js';
import { damageWalTail } from './wal-damage.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function idOf(storeName: string): number {
  return Number(storeName.replace('store-', ''));
}

function pick<T>(items: readonly T[], n: number): T {
  const item = items[n % items.length];
  if (item === undefined) throw new Error('nothing to pick from');
  return item;
}

async function followers(ctx: DrillContext): Promise<{ leader: string; followers: string[] }> {
  const leader = `store-${await ctx.cluster.leader()}`;
  return { leader, followers: ctx.cluster.storeNames().filter((n) => n !== leader) };
}

/**
 * kill -9 of `names`, kept down for the plan's fault time, then brought back. `whileDown` sees
 * when the last of them was gone, before they come back (to judge what the clients did meanwhile).
 */
async function killAndBringBack(ctx: DrillContext, names: readonly string[], why: string, whileDown?: (goneAt: number) => void): Promise<void> {
  ctx.faultStarted();
  for (const n of names) {
    const pid = await ctx.cluster.kill(n);
    ctx.note(`kill -9 ${n} (pid ${pid}${why ? `, ${why}` : ''})`);
  }
  const goneAt = performance.now();
  await sleep(ctx.plan.faultMs);
  whileDown?.(goneAt);
  ctx.note(`bringing back ${names.join(', ')}`);
  await ctx.cluster.bringBack(names);
  ctx.healed();
  ctx.note(`${names.join(', ')} ready again`);
}

async function newLeaderNote(ctx: DrillContext, old: string): Promise<void> {
  const leader = await ctx.cluster.leader(20_000).catch(() => undefined);
  ctx.note(leader === undefined ? 'no leader yet' : `store-${leader} leads`);
  if (leader !== undefined) ctx.verdict(observed('another replica took over', `store-${leader}` !== old, `store-${leader} leads after ${old} went down`));
}

const killStoreLeader: DrillDefinition = {
  summary: 'kill -9 the store leader, restart it later',
  async inject(ctx) {
    const { leader } = await followers(ctx);
    ctx.faultStarted();
    const pid = await ctx.cluster.kill(leader);
    ctx.note(`kill -9 ${leader} (pid ${pid}, the leader)`);
    await newLeaderNote(ctx, leader);
    await sleep(ctx.plan.faultMs);
    ctx.note(`bringing back ${leader}`);
    await ctx.cluster.bringBack([leader]);
    ctx.healed();
    ctx.note(`${leader} ready again`);
  },
};

const killStoreFollower: DrillDefinition = {
  summary: 'kill -9 a store follower, restart it later',
  async inject(ctx) {
    const f = await followers(ctx);
    await killAndBringBack(ctx, [pick(f.followers, ctx.plan.victimPick)], 'a follower');
  },
};

const killStoreMajority: DrillDefinition = {
  summary: 'kill -9 a majority of the store replicas; writes must stop, and resume when one comes back',
  async inject(ctx) {
    const stores = ctx.cluster.storeNames();
    const majority = Math.floor(stores.length / 2) + 1;
    const { leader, followers: rest } = await followers(ctx);
    const victims = [leader, ...rest].slice(0, majority);
    ctx.faultStarted();
    for (const n of victims) ctx.note(`kill -9 ${n} (pid ${await ctx.cluster.kill(n)})`);
    const quietFrom = performance.now() + 1000;
    await sleep(Math.max(ctx.plan.faultMs, 2000));
    const during = ctx.storeWriteTimes().filter((t) => t > quietFrom).length;
    ctx.verdict(observed('writes stopped without a majority', during === 0, `${during} writes succeeded from 1 s after the kill until a replica came back`));
    const [first, ...others] = victims;
    if (first === undefined) return;
    ctx.note(`bringing back ${first}`);
    await ctx.cluster.bringBack([first]);
    const before = ctx.storeWriteTimes().length;
    const resumed = await pollUntil('writes to resume', () => ctx.storeWriteTimes().length > before || undefined, 60_000, 100).catch(() => false);
    ctx.verdict(
      observed('writes resumed once a majority was back', resumed === true, resumed === true ? `${first} back, writes flow` : 'no write succeeded within 60 s'),
    );
    ctx.note('writes resumed');
    ctx.healed();
    ctx.note(`bringing back ${others.join(', ')}`);
    await ctx.cluster.bringBack(others);
  },
};

const pauseStoreLeader: DrillDefinition = {
  summary: 'SIGSTOP the store leader past the election timeout, then SIGCONT',
  async inject(ctx) {
    const { leader } = await followers(ctx);
    const id = idOf(leader);
    const before = await ctx.cluster.statusOf(id);
    ctx.faultStarted();
    ctx.cluster.signal(leader, 'SIGSTOP');
    ctx.note(`SIGSTOP ${leader} (the leader, term ${before?.term ?? '?'}) for ${(ctx.plan.faultMs / 1000).toFixed(1)} s`);
    try {
      await sleep(ctx.plan.faultMs);
      const other = await ctx.cluster.leader(5000).catch(() => undefined);
      ctx.note(other === undefined ? 'no other leader seen yet' : `store-${other} leads`);
    } finally {
      ctx.cluster.signal(leader, 'SIGCONT');
    }
    ctx.note(`SIGCONT ${leader}`);
    ctx.healed();
    // A value acknowledged now must be what the old leader answers, if it answers a linearizable read at all.
    const marker = `drill/marker/${ctx.plan.seed}-${Date.now()}`;
    await ctx.store.put(marker, enc.encode('fresh'));
    const direct = ctx.cluster.storeClient({ endpoints: [ctx.cluster.storeEndpoint(id)], requestTimeoutMs: 2000 });
    try {
      const r = await direct.range(marker);
      const got = r.kvs[0] ? dec.decode(r.kvs[0].value) : null;
      ctx.verdict(
        observed(
          'the old leader served no stale read',
          got === 'fresh',
          `a linearizable read on ${leader} right after SIGCONT answered ${JSON.stringify(got)}`,
        ),
      );
    } catch (e) {
      ctx.verdict(
        observed('the old leader served no stale read', true, `a linearizable read on ${leader} right after SIGCONT was refused (${(e as Error).message})`),
      );
    } finally {
      await direct.close();
    }
    const after = await pollUntil(
      `${leader} to learn the new term`,
      async () => {
        const s = await ctx.cluster.statusOf(id);
        return s && before && s.term > before.term ? s : undefined;
      },
      20_000,
      100,
    ).catch(() => undefined);
    ctx.verdict(
      observed(
        'the old leader stepped down',
        after !== undefined,
        after ? `${leader} is in term ${after.term} (was ${before?.term}), leader ${after.leader}` : `${leader} never moved past term ${before?.term}`,
      ),
    );
  },
};

const restartAllStore: DrillDefinition = {
  summary: 'kill -9 every store replica, restart them all',
  async inject(ctx) {
    await killAndBringBack(ctx, ctx.cluster.storeNames(), '');
  },
};

const tornWal: DrillDefinition = {
  summary: "kill -9 a store replica, cut its WAL's tail, restart it",
  async inject(ctx) {
    const victim = pick(ctx.cluster.storeNames(), ctx.plan.victimPick);
    ctx.faultStarted();
    ctx.note(`kill -9 ${victim} (pid ${await ctx.cluster.kill(victim)})`);
    const damage = damageWalTail(ctx.cluster.layout.dataDir(victim), ctx.plan.tailCutBytes, ctx.plan.garbleTail);
    ctx.note(
      `cut ${damage.cutBytes} bytes off ${damage.file} (${damage.sizeBefore} → ${damage.sizeAfter} bytes)${damage.garbled ? ', garbled the byte before the cut' : ''}`,
    );
    await sleep(ctx.plan.faultMs);
    ctx.note(`bringing back ${victim}`);
    await ctx.cluster.bringBack([victim]);
    ctx.healed();
    ctx.verdict(observed('the damaged replica started again and serves', true, `${victim} is ready after its WAL tail was cut`));
    ctx.note(`${victim} ready again`);
  },
};

function killComponent(pattern: RegExp, what: string): DrillDefinition {
  return {
    summary: `kill -9 ${what}, restart it later`,
    async inject(ctx) {
      const names = ctx.cluster.names(pattern);
      await killAndBringBack(ctx, [pick(names, ctx.plan.victimPick)], '');
    },
  };
}

/**
 * kill-apiserver: with several apiservers behind the front, the clients (the workload, kubectl,
 * the components, all given the front's address) must go on writing while one is down.
 */
const killApiserver: DrillDefinition = {
  summary: 'kill -9 an apiserver, restart it later',
  async inject(ctx) {
    const names = ctx.cluster.names(/^apiserver(-\d+)?$/);
    const victim = pick(names, ctx.plan.victimPick);
    if (names.length === 1) return killAndBringBack(ctx, [victim], '');
    // Once it is gone, every write acknowledged went through another apiserver.
    await killAndBringBack(ctx, [victim], `one of ${names.length} behind the front`, (goneAt) => {
      const during = ctx.apiWriteTimes().filter((t) => t > goneAt).length;
      ctx.verdict(
        observed(
          'apiserver writes went on through the front while one apiserver was down',
          during > 0,
          `${during} writes acknowledged while ${victim} was down`,
        ),
      );
    });
  },
};

export const DRILLS: Readonly<Record<DrillName, DrillDefinition>> = {
  'kill-store-leader': killStoreLeader,
  'kill-store-follower': killStoreFollower,
  'kill-store-majority': killStoreMajority,
  'pause-store-leader': pauseStoreLeader,
  'partition-store-leader': partitionStoreLeader,
  'restart-all-store': restartAllStore,
  'torn-wal': tornWal,
  'replace-store-member': replaceStoreMember,
  'backup-restore': backupRestore,
  'kill-apiserver': killApiserver,
  'kill-scheduler': killComponent(/^scheduler(-\d+)?$/, 'the scheduler'),
  'kill-controller-manager': killComponent(/^controller-manager(-\d+)?$/, 'the controller-manager'),
  'kill-node': killComponent(/^node-\d+$/, 'a node agent'),
};
