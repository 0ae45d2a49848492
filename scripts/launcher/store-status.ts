import { existsSync } from 'node:fs';
import type { StoreStatus } from '../../raft/client/store-client.js';
import { WsStoreClient } from '../../raft/client/ws-store-client.js';
import { loadSecret } from '../../raft/transport/secret.js';
import { type ClusterConfig, storeIdsOf } from './cluster-config.js';
import { directStoreEndpoints } from './components.js';
import type { ClusterLayout } from './layout.js';

/** One store replica as `status` and `up` see it: its own answer to `status`, or why there is none. */
export interface ReplicaStatusRow {
  /** `store-ID`, the component's name. */
  readonly name: string;
  readonly id: number;
  /** The replica's own client address (around the fault proxy, so a cut-off replica still answers). */
  readonly endpoint: string;
  readonly status?: StoreStatus;
  readonly error?: string;
}

/** The leader the answering replicas agree on. */
export interface StoreLeader {
  readonly id: number;
  readonly term: number;
}

/**
 * Asks every replica of the cluster for its status, each at its own address, with the cluster
 * secret when the directory has one (replicas run with --client-auth secret refuse others).
 * Never throws: a replica that does not answer within `timeoutMs` gets an `error`.
 */
export async function readStoreStatuses(config: ClusterConfig, layout: ClusterLayout, timeoutMs = 2000): Promise<ReplicaStatusRow[]> {
  const endpoints = directStoreEndpoints(config);
  let secret: Uint8Array | undefined;
  try {
    secret = existsSync(layout.secretFile) ? loadSecret({ file: layout.secretFile }) : undefined;
  } catch {
    secret = undefined;
  }
  const client = new WsStoreClient({ endpoints, attemptTimeoutMs: timeoutMs, requestTimeoutMs: timeoutMs, ...(secret ? { secret } : {}) });
  try {
    const ids = storeIdsOf(config);
    return await Promise.all(
      endpoints.map(async (endpoint, i): Promise<ReplicaStatusRow> => {
        const id = ids[i] as number;
        const base = { name: `store-${id}`, id, endpoint };
        try {
          return { ...base, status: await client.callOn<StoreStatus>(endpoint, { op: 'status' }, timeoutMs) };
        } catch (e) {
          return { ...base, error: (e as Error).message };
        }
      }),
    );
  } finally {
    await client.close();
  }
}

/**
 * The leader every answering replica names, in the highest term any of them reports, provided
 * the leader itself answers and says it leads; undefined while they disagree or none is elected.
 */
export function agreedLeader(rows: readonly ReplicaStatusRow[]): StoreLeader | undefined {
  const answers = rows.flatMap((r) => (r.status ? [r.status] : []));
  if (answers.length === 0) return undefined;
  const leaders = new Set(answers.map((s) => s.leader));
  const [id] = [...leaders];
  if (leaders.size !== 1 || id === undefined || id === 0) return undefined;
  const self = answers.find((s) => s.id === id);
  if (!self || self.leader !== id) return undefined;
  return { id, term: Math.max(...answers.map((s) => s.term)) };
}

/**
 * Polls the replicas until they agree on a leader; undefined after `timeoutMs` or once `cancelled`
 * says so (the start failed). Progress for `up`, not a readiness gate: it never throws.
 */
export async function waitForStoreLeader(
  config: ClusterConfig,
  layout: ClusterLayout,
  timeoutMs: number,
  cancelled: () => boolean = () => false,
): Promise<StoreLeader | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !cancelled()) {
    const leader = agreedLeader(await readStoreStatuses(config, layout, 1000).catch(() => []));
    if (leader) return leader;
    await new Promise((r) => setTimeout(r, 200));
  }
  return undefined;
}
