import { rmSync } from 'node:fs';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { pollUntil, sleep } from '../bench/processes.js';
import { HOST, peerPort, storeIdsOf } from '../launcher/cluster-config.js';
import { storeClientList, storePeerList } from '../launcher/components.js';
import { writePidFile } from '../launcher/pid-file.js';
import { isSameProcess } from '../launcher/process-identity.js';
import { restartRecorded, waitReady } from '../launcher/start-component.js';
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
/** A replica given SIGTERM transfers leadership and exits; past this the drill fails. */
const STOP_MS = 15_000;

/** `argv` with each flag's value replaced (flags given as "--flag value" pairs). */
function withFlags(argv: readonly string[], values: Readonly<Record<string, string>>): string[] {
  const out = [...argv];
  for (const [flag, value] of Object.entries(values)) {
    const i = out.indexOf(flag);
    if (i < 0 || i + 1 >= out.length) throw new Error(`the recorded store command line has no ${flag}`);
    out[i + 1] = value;
  }
  return out;
}

function flagOf(argv: readonly string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

/**
 * The surviving replicas learned the new member's real peer address from the member-add; their
 * own --peers still name the removed member. One at a time (SIGTERM hands leadership over first),
 * each is restarted with --peers for the new membership: a replica dials the address its flags
 * give over the one a change announced (replica.ts), so every link runs through the fault proxy
 * again and a later partition cuts them all.
 */
async function reroutePeers(ctx: Parameters<DrillDefinition['inject']>[0], survivors: readonly number[]): Promise<void> {
  const { cluster } = ctx;
  for (const id of survivors) {
    const name = `store-${id}`;
    const record = cluster.record(name);
    const argv = withFlags(record.argv, {
      '--peers': storePeerList(cluster.config, cluster.slotOf(id)),
      '--client-addresses': storeClientList(cluster.config),
    });
    cluster.signal(name, 'SIGTERM');
    await pollUntil(`${name} to exit`, () => !isSameProcess(record.pid, record.argv), STOP_MS, 50);
    const started = restartRecorded({ ...record, argv });
    const pids = cluster.pids();
    writePidFile(cluster.layout.pidsFile, { ...pids, processes: pids.processes.map((p) => (p.name === name ? started : p)) });
    await waitReady(started, CATCH_UP_MS);
    ctx.note(`restarted ${name} (pid ${started.pid}) with --peers for the new membership`);
  }
}

/**
 * replace-store-member, as etcd's "replace a failed member": a follower is killed and its disk
 * wiped; through storectl's requests (member remove, member add as a learner) the cluster drops
 * it and admits a fresh member with a new id in the same slot (same ports), started with
 * --join; once it has caught up it is promoted to voter. cluster.json (the slot's id) and
 * pids.json (the new process) record it, so `up`, `down` and `status` know it. Needs a detached
 * cluster: a foreground launcher would restart the removed member from its old command line.
 */
export const replaceStoreMember: DrillDefinition = {
  summary: 'kill a store follower, wipe its disk, member remove it and member add a fresh one while the cluster serves',
  async inject(ctx) {
    const { cluster } = ctx;
    if (cluster.launcherSupervises())
      throw new Error('replace-store-member needs a detached cluster (picokube up --detach): a foreground launcher would restart the removed member');
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
    cluster.updateConfig({ ...cluster.config, storeIds: newIds });
    // The old command line with the new identity: every other flag (secret, client auth, ...) as the launcher gave it.
    const newName = `store-${newId}`;
    const argv = withFlags(oldRecord.argv, {
      '--id': String(newId),
      '--peers': storePeerList(cluster.config, slot),
      '--client-addresses': storeClientList(cluster.config),
      '--data-dir': cluster.layout.dataDir(newName),
    });
    await sleep(REMOVED_LINKS_GONE_MS);
    const started = restartRecorded({ ...oldRecord, name: newName, argv: [...argv, '--join'], logFile: cluster.layout.logFile(newName) });
    const pids = cluster.pids();
    writePidFile(cluster.layout.pidsFile, { ...pids, processes: pids.processes.map((p) => (p.name === oldName ? started : p)) });
    ctx.note(`started ${newName} (pid ${started.pid}) with --join in slot ${slot}; cluster.json and pids.json updated`);

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
    await waitReady(started, CATCH_UP_MS);
    await reroutePeers(
      ctx,
      newIds.filter((id) => id !== newId),
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
