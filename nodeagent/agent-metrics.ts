import { Counter, Gauge, type Registry } from 'prom-client';
import type { ContainerRuntime } from './runtime/container-runtime.js';

/**
 * What a node agent process counts, for `/metrics`. No per-node or per-pod labels: one process
 * may host thousands of simulated nodes, and a label per node would make every scrape huge.
 */
export class AgentMetrics {
  readonly statusWrites: Counter;
  readonly podDeletes: Counter;
  readonly syncErrors: Counter;
  readonly leaseRenewals: Counter<'result'>;
  readonly nodeStatusReports: Counter<'result'>;
  readonly nodes: Gauge;

  constructor(registry: Registry, runtime?: Pick<ContainerRuntime, 'pods'>) {
    const registers = [registry];
    this.statusWrites = new Counter({ name: 'nodeagent_pod_status_writes_total', help: 'Pod status writes to the apiserver', registers });
    this.podDeletes = new Counter({ name: 'nodeagent_pod_deletes_total', help: 'Pods removed from the apiserver after their containers stopped', registers });
    this.syncErrors = new Counter({ name: 'nodeagent_pod_sync_errors_total', help: 'Pod syncs that failed and were retried', registers });
    this.leaseRenewals = new Counter({ name: 'nodeagent_lease_renewals_total', help: 'Node lease renewals by result', labelNames: ['result'], registers });
    this.nodeStatusReports = new Counter({
      name: 'nodeagent_node_status_reports_total',
      help: 'Node status reports by result',
      labelNames: ['result'],
      registers,
    });
    this.nodes = new Gauge({ name: 'nodeagent_nodes', help: 'Nodes this process registered', registers });
    new Gauge({
      name: 'nodeagent_pods',
      help: 'Pods the runtime holds, running (not finished) or finished',
      labelNames: ['state'],
      registers,
      collect() {
        if (!runtime) return;
        let running = 0;
        let finished = 0;
        for (const p of runtime.pods()) {
          if (p.finished) finished++;
          else running++;
        }
        this.set({ state: 'running' }, running);
        this.set({ state: 'finished' }, finished);
      },
    });
  }
}
