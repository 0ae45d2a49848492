import { rmSync } from 'node:fs';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { pollUntil, sleep } from '../bench/processes.js';
import { HOST, peerPort, storeIdsOf } from '../launcher/cluster-config.js';
import type { DrillDefinition } from './drill-runner.js';
import { observed } from './verdicts.js';

/** How long the new member may take to catch up with the leader and be promoted. */
const CATCH_UP_MS = 60_000;
/**
 * Existing replicas drop their link to a removed member two election timeouts after the removal
 * (replica.ts, applyConfChange); the new member takes over the removed one's ports, so it starts
 * only once those links are gone (2 × 12 ticks × 25 ms by default, with room).
 */
const REMOVED_LINKS_GONE_MS = 1500;
/** How long the launcher may take over the reload: the new member ready, then each survivor restarted and ready. */
const RELOAD_MS = 300_000;

function flagOf(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * replace-store-member, as etcd's "replace a failed member": a follower is killed and its disk
 * wiped; through storectl's requests (member remove, member add as a learner) the cluster drops
 * it and admits a fresh member with a new id in the same slot (same ports). The drill records
 * the slot's new id in cluster.json and asks the launcher to reload (SIGUSR2): it starts the new
 * member with --join, and once the drill has promoted it (caught up) restarts the survivors with
 * --peers for the new membership, one at a time while the others keep a quorum. A replica dials
 * the address its flags give over the one a membership change announced (replica.ts), so every
 * link runs through the fault proxy again and a later partition cuts them all.
 */
export const replaceStoreMember: DrillDefinition = {
  summary: 'kill a store follower, wipe its disk, member remove it and member add a fresh one while the cluster serves',
  async inject(ctx) {
    const { cluster } = ctx;
    if (!cluster.launcherSupervises())
      throw new Error('replace-store-member needs the launcher running (picokube up, or up --detach): it starts the new member and restarts the others');
    const leader = await cluster.leader();
    const ids = storeIdsOf(cluster.config);
    const candidates = ids.filter((id) => id !== leader);
    const oldId = candidates[ctx.plan.victimPick % candidates.length];
    if (oldId === undefined) throw new Error('no follower to replace');
    const newId = Math.max(...ids) + 1;
    const slot = cluster.slotOf(oldId);
    const oldName = `store-${oldId}`;
    const oldRecord = cluster.record(oldName);
    const oldDataDir = flagOf(oldRecord.argv, '--data-dir') ?? cluster.layout.dataDir(oldName);

    ctx.faultStarted();
    ctx.note(`kill -9 ${oldName} (pid ${await cluster.kill(oldName)}, a follower)`);
    rmSync(oldDataDir, { recursive: true, force: true });
    ctx.note(`wiped ${oldDataDir}`);
    await sleep(ctx.plan.faultMs);

    await ctx.store.request<StoreStatus>({ op: 'memberRemove', memberId: oldId });
    ctx.note(`member remove ${oldId}`);
    const peerAddress = `${HOST}:${peerPort(cluster.config.storePorts[slot - 1] as number)}`;
    const clientAddress = cluster.storeEndpoints()[slot - 1] as string;
    await ctx.store.request<StoreStatus>({ op: 'memberAdd', memberId: newId, peerAddress, clientAddress, learner: true });
    ctx.note(`member add ${newId} --peer-url ${peerAddress} --client-url ${clientAddress} --learner`);

    const newIds = ids.map((id) => (id === oldId ? newId : id));
    const survivors = newIds.filter((id) => id !== newId);
    const survivorPids = new Map(survivors.map((id) => [id, cluster.record(`store-${id}`).pid]));
    cluster.updateConfig({ ...cluster.config, storeIds: newIds });
    await sleep(REMOVED_LINKS_GONE_MS);
    const reload = cluster.reloadLauncher();
    ctx.note(`cluster.json: slot ${slot} is store-${newId}; kill -USR2 the launcher (pid ${reload.launcherPid}) to reload the membership`);

    const newName = `store-${newId}`;
    const started = await cluster.running(newName, CATCH_UP_MS);
    ctx.note(`the launcher started ${newName} (pid ${started.pid}) with --join`);

    // The leader's commit index once the new member runs: caught up when it has applied that far.
    const target = (await cluster.directStatusOf(await cluster.leader()))?.raftCommitIndex ?? (await ctx.store.status()).raftCommitIndex;
    const caughtUp = await pollUntil(
      `store-${newId} to catch up with the leader`,
      async () => {
        const n = await cluster.directStatusOf(newId);
        return n && n.raftAppliedIndex >= target ? { leaderIndex: target, applied: n.raftAppliedIndex } : undefined;
      },
      CATCH_UP_MS,
      200,
    ).catch(() => undefined);
    ctx.verdict(
      observed(
        'the new member caught up with the leader',
        caughtUp !== undefined,
        caughtUp
          ? `store-${newId} applied index ${caughtUp.applied} ≥ the leader's commit index ${caughtUp.leaderIndex}`
          : `not within ${CATCH_UP_MS / 1000} s`,
      ),
    );
    const promoted = await pollUntil(
      `store-${newId} to be promoted`,
      () =>
        ctx.store
          .request<StoreStatus>({ op: 'memberPromote', memberId: newId })
          .then(() => true)
          .catch(() => undefined),
      CATCH_UP_MS,
      250,
    ).catch(() => false);
    ctx.note(promoted ? `member promote ${newId}` : `member promote ${newId} kept failing`);

    const outcome = await reload.done(RELOAD_MS);
    const restarted = survivors.filter((id) => cluster.record(`store-${id}`).pid !== survivorPids.get(id)).map((id) => `store-${id}`);
    ctx.note(
      outcome === 'ok'
        ? `the launcher restarted ${restarted.join(', ')} with --peers for the new membership, one at a time`
        : `the launcher's reload failed: ${outcome}`,
    );
    ctx.verdict(
      observed(
        'the launcher moved every replica to the new membership',
        outcome === 'ok' && restarted.length === survivors.length,
        outcome === 'ok' ? `restarted ${restarted.join(', ') || 'none'} of ${survivors.map((id) => `store-${id}`).join(', ')}` : outcome,
      ),
    );
    ctx.healed();
    const members = (await ctx.store.status()).members;
    const voters = members.filter((m) => !m.isLearner).map((m) => m.id);
    const expected = [...newIds].sort((a, b) => a - b);
    ctx.verdict(
      observed(
        'the membership is the old one with the member replaced',
        promoted === true && voters.sort((a, b) => a - b).join(',') === expected.join(','),
        `voters ${voters.join(', ')} (expected ${expected.join(', ')})`,
      ),
    );
  },
};
