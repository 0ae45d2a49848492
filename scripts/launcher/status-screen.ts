import { type ApiOverview, holderPid } from './api-overview.js';
import { alignColumns } from './report.js';
import { type ReplicaStatusRow, agreedLeader } from './store-status.js';

/** One recorded process as `status` found it. */
export interface ProcessRow {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  /** Whether its readiness check answered 200; undefined when it does not run. */
  readonly ready?: boolean;
  readonly endpoint: string;
}

/** Everything `status` gathered; the screen is a pure function of it. */
export interface StatusFacts {
  readonly processes: readonly ProcessRow[];
  /** Each replica's own status; undefined when the directory records no cluster configuration. */
  readonly stores?: readonly ReplicaStatusRow[] | undefined;
  /** The apiserver's answers, or why there are none; undefined when no apiserver runs. */
  readonly api?: ApiOverview | { readonly error: string } | undefined;
}

const SCHEDULER = /^scheduler(-\d+)?$/;
const CONTROLLER_MANAGER = /^controller-manager(-\d+)?$/;

/**
 * A process's part in the cluster: a store replica leads or follows; a scheduler or
 * controller-manager is active (its PID holds the Lease) or standby; `?` when unknown.
 */
export function roleOf(p: ProcessRow, facts: StatusFacts): string {
  if (!p.running) return '-';
  if (p.name.startsWith('store-') && facts.stores) {
    const row = facts.stores.find((r) => r.name === p.name);
    const leader = agreedLeader(facts.stores);
    if (!row?.status) return '?';
    return leader?.id === row.id ? 'leader' : 'follower';
  }
  const holder = SCHEDULER.test(p.name) ? 'schedulerHolder' : CONTROLLER_MANAGER.test(p.name) ? 'controllerManagerHolder' : undefined;
  if (holder === undefined) return '';
  if (!facts.api || 'error' in facts.api) return '?';
  return holderPid(facts.api[holder]) === p.pid ? 'active' : 'standby';
}

/** Whether a replica serves: it answers, knows a leader, and that leader is the one all agree on. */
export function replicaHealth(row: ReplicaStatusRow, leaderId: number | undefined): string {
  if (!row.status) return `no: ${row.error ?? 'no answer'}`;
  if (row.status.leader === 0) return 'no: no leader';
  if (leaderId === undefined) return 'no: replicas disagree on the leader';
  return row.status.leader === leaderId ? 'yes' : `no: follows ${row.status.leader}`;
}

/** The screen's sections, each an aligned table: processes, store replicas, nodes. */
export function renderStatus(facts: StatusFacts): string[] {
  const lines: string[] = [];
  lines.push(
    ...alignColumns([
      ['NAME', 'PID', 'STATE', 'READY', 'ROLE', 'ENDPOINT'],
      ...facts.processes.map((p) => [
        p.name,
        String(p.pid),
        p.running ? 'running' : 'stopped',
        p.ready === undefined ? '-' : p.ready ? 'ready' : 'not ready',
        roleOf(p, facts) || '-',
        p.endpoint,
      ]),
    ]),
  );
  if (facts.stores) {
    const leader = agreedLeader(facts.stores);
    lines.push('', leader ? `store: leader store-${leader.id}, term ${leader.term}` : 'store: no leader the replicas agree on');
    lines.push(
      ...alignColumns([
        ['REPLICA', 'ID', 'LEADER', 'TERM', 'REVISION', 'RAFT INDEX', 'APPLIED', 'HEALTHY'],
        ...facts.stores.map((r) => {
          const s = r.status;
          const cells = s
            ? [s.leader === s.id ? 'yes' : 'no', String(s.term), String(s.revision), String(s.raftIndex), String(s.raftAppliedIndex)]
            : ['-', '-', '-', '-', '-'];
          return [r.name, String(r.id), ...cells, replicaHealth(r, leader?.id)];
        }),
      ]),
    );
  }
  if (facts.api && 'error' in facts.api) lines.push('', `apiserver: no answer (${facts.api.error}); leases and nodes unknown`);
  else if (facts.api) {
    const nodes = facts.api.nodes;
    lines.push('', nodes.length === 0 ? 'nodes: none registered' : `nodes: ${nodes.filter((n) => n.ready === 'True').length} of ${nodes.length} Ready`);
    if (nodes.length > 0) lines.push(...alignColumns([['NODE', 'READY', 'PODS'], ...nodes.map((n) => [n.name, n.ready, String(n.pods)])]));
  }
  return lines;
}
