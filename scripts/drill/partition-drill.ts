import { performance } from 'node:perf_hooks';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { pollUntil, sleep } from '../bench/processes.js';
import { storeIdsOf } from '../launcher/cluster-config.js';
import type { DrillContext, DrillDefinition } from './drill-runner.js';
import { observed } from './verdicts.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** How long the majority side may take to elect a new leader once the old one is cut off. */
const NEW_LEADER_MS = 20_000;

/** Asks the fault proxy's admin API to do `what` (partition?replica=N, heal). */
export async function faultProxyCall(adminUrl: string, what: string): Promise<void> {
  const res = await fetch(`${adminUrl}/${what}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`fault proxy ${what}: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Reads `key` linearizably at replica `id`'s own client port only (no other endpoint to fall
 * back to): the value it answers, or the error it fails with.
 */
async function directRead(ctx: DrillContext, id: number, key: string): Promise<{ value: string | null } | { error: string }> {
  const endpoint = ctx.cluster.directStoreEndpoint(id);
  const client = ctx.cluster.storeClient({ endpoints: [endpoint], requestTimeoutMs: 2000 });
  try {
    const r = await client.range(key);
    return { value: r.kvs[0] ? dec.decode(r.kvs[0].value) : null };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    await client.close();
  }
}

/**
 * partition-store-leader: the fault proxy cuts the leader off its peers and its clients for the
 * plan's fault time (well above the election timeout), then heals. While cut off, a marker
 * written through the majority must never be answered stale by the old leader (read at its own
 * client port, around the proxy); the old leader must step down, and the usual verdicts follow.
 */
export const partitionStoreLeader: DrillDefinition = {
  summary: 'cut the store leader off its peers and clients through the fault proxy, then heal',
  async inject(ctx) {
    const { cluster } = ctx;
    const adminUrl = cluster.faultProxyUrl();
    if (adminUrl === undefined) throw new Error('this cluster runs no fault proxy (its cluster.json predates it): picokube down, then up, to start one');
    const leader = await cluster.leader();
    const slot = cluster.slotOf(leader);
    const before = await cluster.directStatusOf(leader);
    const marker = `drill/partition-marker/${ctx.plan.seed}-${Date.now().toString(36)}`;
    await ctx.store.put(marker, enc.encode('before-the-cut'));

    ctx.faultStarted();
    const cutAt = performance.now();
    await faultProxyCall(adminUrl, `partition?replica=${slot}`);
    ctx.note(`partitioned store-${leader} (the leader, term ${before?.term ?? '?'}) from its peers and clients through the fault proxy`);
    let healed = false;
    const heal = async (): Promise<void> => {
      if (healed) return;
      healed = true;
      await faultProxyCall(adminUrl, 'heal');
    };
    try {
      const newLeader = await pollUntil(
        'a new leader on the majority side',
        // Asked at each other replica's own port: the proxied path still tries the cut-off one.
        async () => {
          const others = storeIdsOf(cluster.config).filter((id) => id !== leader);
          const rows = await Promise.all(others.map((id) => cluster.directStatusOf(id, 1000)));
          return rows.find((s) => s !== undefined && s.role === 'leader' && s.id !== leader)?.id;
        },
        NEW_LEADER_MS,
        100,
      ).catch(() => undefined);
      ctx.verdict(
        observed(
          'the majority elected a new leader',
          newLeader !== undefined,
          newLeader !== undefined
            ? `store-${newLeader} leads after ${((performance.now() - cutAt) / 1000).toFixed(1)} s`
            : `no new leader within ${NEW_LEADER_MS / 1000} s`,
        ),
      );
      if (newLeader !== undefined) ctx.note(`store-${newLeader} leads the majority`);

      // A value the majority acknowledges now: the cut-off old leader must not answer the old one.
      await ctx.store.put(marker, enc.encode('after-the-cut'));
      const read = await directRead(ctx, leader, marker);
      ctx.verdict(
        observed(
          'the cut-off old leader served no stale read',
          'error' in read || read.value === 'after-the-cut',
          'error' in read
            ? `a linearizable read at store-${leader}'s own client port during the cut failed (${read.error})`
            : `a linearizable read at store-${leader}'s own client port during the cut answered ${JSON.stringify(read.value)}`,
        ),
      );
      const during = await cluster.directStatusOf(leader);
      const newStatus = newLeader !== undefined ? await cluster.directStatusOf(newLeader) : undefined;
      ctx.note(
        `during the cut store-${leader} says role ${during?.role ?? '?'}, term ${during?.term ?? '?'}; the new leader is in term ${newStatus?.term ?? '?'}`,
      );
      const left = ctx.plan.faultMs - (performance.now() - cutAt);
      if (left > 0) await sleep(left);

      await heal();
      ctx.healed();
      ctx.note(`healed the partition after ${((performance.now() - cutAt) / 1000).toFixed(1)} s`);
      const after = await pollUntil(
        `store-${leader} to rejoin as a follower`,
        async () => {
          const s = await cluster.directStatusOf(leader);
          return s && s.role !== 'leader' && before && s.term > before.term ? s : undefined;
        },
        NEW_LEADER_MS,
        100,
      ).catch(() => undefined);
      ctx.verdict(steppedDown(leader, before, during, newStatus, after));
      await cluster.leader(NEW_LEADER_MS);
    } finally {
      await heal().catch(() => {});
    }
  },
};

function steppedDown(
  leader: number,
  before: StoreStatus | undefined,
  during: StoreStatus | undefined,
  newLeader: StoreStatus | undefined,
  after: StoreStatus | undefined,
) {
  const lowerTerm = during !== undefined && newLeader !== undefined && during.term < newLeader.term;
  const follower = after !== undefined;
  const detail = [
    during && newLeader ? `during the cut its term was ${during.term}, the new leader's ${newLeader.term}` : 'its term during the cut is unknown',
    after
      ? `after the heal it is a ${after.role} in term ${after.term} (was leader in term ${before?.term})`
      : `after the heal it never showed a follower in a newer term than ${before?.term}`,
  ].join('; ');
  return observed('the old leader stepped down', lowerTerm || follower, `store-${leader}: ${detail}`);
}
