import { parseArgs } from 'node:util';
import { WsStoreClient } from '../raft/client/ws-store-client.js';
import { type CampaignResult, runCampaign, type SlowLorisResult, slowLoris } from './bad-input/campaign.js';
import { campaignRequests, type Targets } from './bad-input/cases.js';

/**
 * The bad-input campaign against a live apiserver: thousands of malformed requests (broken JSON
 * and YAML, wrong kinds, bodies over 3 MiB, deep nesting, invalid names, path traversal, bad
 * selectors and patches, bad and unknown query parameters, header abuse, slow connections).
 * Passes when no answer is a 5xx or a non-Status, the store's revision did not move (nothing was
 * written), and the apiserver still serves a normal create afterwards.
 *
 *   node --import tsx scripts/bad-input-campaign.ts --server http://127.0.0.1:6443 \
 *     --store 127.0.0.1:2379,127.0.0.1:2389,127.0.0.1:2399 [--count 5000] [--seed 1]
 */

const HELP = `usage: bad-input-campaign --server URL [--store A,B,C] [--count N] [--seed N] [--concurrency N]
                          [--slow-connections N] [--slow-seconds N] [--json]
`;

export interface CampaignReport {
  readonly seed: number;
  readonly campaign: CampaignResult;
  readonly slowLoris: SlowLorisResult;
  readonly storeRevisionBefore: number | undefined;
  readonly storeRevisionAfter: number | undefined;
  /** A normal create after the campaign answered 201. */
  readonly servesAfterwards: boolean;
  readonly ok: boolean;
}

export interface CampaignOptions {
  readonly server: string;
  readonly store?: readonly string[];
  readonly count: number;
  readonly seed: number;
  readonly concurrency: number;
  readonly slowConnections: number;
  readonly slowMs: number;
}

const NAMESPACE = 'bad-input-campaign';
const TARGETS: Targets = { namespace: NAMESPACE, pod: 'target-pod', configMap: 'target-config' };

async function createIfAbsent(server: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${server}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201 && res.status !== 409) throw new Error(`setting up ${path}: ${res.status} ${await res.text()}`);
}

/** The objects the campaign aims at exist before the store's revision is taken. */
async function setUp(server: string): Promise<void> {
  await createIfAbsent(server, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE } });
  await createIfAbsent(server, `/api/v1/namespaces/${NAMESPACE}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: TARGETS.pod, labels: { app: 'target' } },
    spec: { containers: [{ name: 'c', image: 'busybox' }] },
  });
  await createIfAbsent(server, `/api/v1/namespaces/${NAMESPACE}/configmaps`, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: TARGETS.configMap },
    data: { k: 'v' },
  });
}

async function storeRevision(store: WsStoreClient | undefined): Promise<number | undefined> {
  if (!store) return undefined;
  return Number((await store.status()).revision);
}

export async function runBadInputCampaign(o: CampaignOptions): Promise<CampaignReport> {
  await setUp(o.server);
  const store = o.store && o.store.length > 0 ? new WsStoreClient({ endpoints: o.store }) : undefined;
  try {
    const before = await storeRevision(store);
    const campaign = await runCampaign({ server: o.server }, campaignRequests(o.seed, o.count, TARGETS), o.concurrency);
    const probe = async (): Promise<boolean> => (await fetch(`${o.server}/api/v1/namespaces/${NAMESPACE}/pods/${TARGETS.pod}`)).status === 200;
    const loris = await slowLoris(o.server, o.slowConnections, o.slowMs, probe);
    const after = await storeRevision(store);
    const res = await fetch(`${o.server}/api/v1/namespaces/${NAMESPACE}/configmaps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'after-' }, data: { ok: 'yes' } }),
    });
    const servesAfterwards = res.status === 201;
    const ok = campaign.violations.length === 0 && before === after && servesAfterwards && loris.failedMeanwhile === 0 && loris.servedMeanwhile > 0;
    return { seed: o.seed, campaign, slowLoris: loris, storeRevisionBefore: before, storeRevisionAfter: after, servesAfterwards, ok };
  } finally {
    await store?.close();
  }
}

export function formatReport(r: CampaignReport): string {
  const lines = [`bad-input campaign (seed ${r.seed}): ${r.campaign.sent} requests`];
  lines.push(
    `  by category: ${Object.entries(r.campaign.byCategory)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  lines.push(
    `  by answer:   ${Object.entries(r.campaign.byCode)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  lines.push(
    `  slow connections: ${r.slowLoris.connections} held open; meanwhile ${r.slowLoris.servedMeanwhile} normal requests served, ${r.slowLoris.failedMeanwhile} failed`,
  );
  lines.push(
    `  store revision: ${r.storeRevisionBefore ?? '-'} before, ${r.storeRevisionAfter ?? '-'} after (${r.storeRevisionBefore === r.storeRevisionAfter ? 'unchanged' : 'CHANGED'})`,
  );
  lines.push(`  a normal create afterwards: ${r.servesAfterwards ? 'served' : 'FAILED'}`);
  lines.push(`  violations: ${r.campaign.violations.length}`);
  for (const v of r.campaign.violations.slice(0, 20)) lines.push(`    [${v.category}] ${v.method} ${v.path}: ${v.why}`);
  lines.push(r.ok ? 'PASS' : 'FAIL');
  return `${lines.join('\n')}\n`;
}

export async function main(argv: string[]): Promise<void> {
  const { values: v } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' },
      store: { type: 'string' },
      count: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '8' },
      'slow-connections': { type: 'string', default: '50' },
      'slow-seconds': { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (v.help || !v.server) {
    process.stdout.write(HELP);
    process.exitCode = v.help ? 0 : 2;
    return;
  }
  const report = await runBadInputCampaign({
    server: v.server.replace(/\/$/, ''),
    ...(v.store ? { store: v.store.split(',').map((s) => s.trim()) } : {}),
    count: Number(v.count),
    seed: Number(v.seed),
    concurrency: Number(v.concurrency),
    slowConnections: Number(v['slow-connections']),
    slowMs: Number(v['slow-seconds']) * 1000,
  });
  process.stdout.write(v.json ? `${JSON.stringify(report)}\n` : formatReport(report));
  process.exitCode = report.ok ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) await main(process.argv.slice(2));
