import { parseArgs } from 'node:util';
import { DEFAULT_DIR, UsageError } from '../launcher/options.js';
import { type Console, processConsole } from '../launcher/report.js';
import { DrillCluster } from './drill-cluster.js';
import { DEFAULT_TIMING, DRILL_NAMES, type DrillName, type DrillTiming, isDrillName, planDrill, roundSeed } from './drill-plan.js';
import { type DrillReport, renderReport, renderTotals, totals } from './drill-report.js';
import { runDrill } from './drill-runner.js';
import { DRILLS } from './drills.js';

const HELP = `picokube drill: run a fault drill against the running local cluster

usage: picokube drill NAME|all [--dir DIR] [--seed N] [--rounds N] [--json]
                     [--warmup-ms MS] [--fault-ms MS] [--settle-ms MS] [--converge-limit-ms MS]

Runs a workload (store clients recorded for the linearizability checker; ConfigMap writes, a
Deployment, a raw watch and an informer through the apiserver), injects the fault, heals it,
and checks the verdicts: no acknowledged write lost, the store history linearizable, watches saw
every change once and in order, no pod bound to two nodes, Deployments and ReplicaSets back at
their desired counts in time, the store replicas hold identical data. Prints what was done when,
how long writes were unavailable, how many client operations failed. Exit code 1 on any FAIL.

Works with 'picokube up' in the foreground or with --detach: the launcher supervises either way,
and the drill holds killed processes down through DIR/restart-hold.json until it brings them
back. Should the launcher be gone, the drill starts what it brings back itself.

drills: ${DRILL_NAMES.join(', ')}

  --dir DIR              the cluster's directory (default ${DEFAULT_DIR})
  --seed N               fixes the fault timing and the victims (default 1)
  --rounds N             with 'all': run every drill N times, each round with other seeds,
                         and print the totals as a table for the README
  --json                 print the reports as JSON lines
  --warmup-ms MS         workload before the fault (default ${DEFAULT_TIMING.warmupMs}, varied by the seed up to +50%)
  --fault-ms MS          how long the fault lasts (default ${DEFAULT_TIMING.faultMs}, varied likewise)
  --settle-ms MS         workload after the heal (default ${DEFAULT_TIMING.settleMs}, varied likewise)
  --converge-limit-ms MS Deployments back at their counts within this after the heal (default ${DEFAULT_TIMING.convergeLimitMs})
  -h, --help             this text
`;

export async function main(argv: string[]): Promise<void> {
  process.exitCode = await runDrillCommand(argv);
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: expected a non-negative integer, got '${text}'`);
  return Number(text);
}

/** `picokube drill ARGV`; resolves with the exit code: 0 all PASS, 1 some FAIL, 2 usage. */
export async function runDrillCommand(argv: string[], io: Console = processConsole): Promise<number> {
  try {
    let parsed: ReturnType<typeof parse>;
    try {
      parsed = parse(argv);
    } catch (e) {
      throw e instanceof UsageError ? e : new UsageError((e as Error).message);
    }
    const { values: v, positionals } = parsed;
    if (v.help) {
      io.out(HELP);
      return 0;
    }
    const [which, ...extra] = positionals;
    if (which === undefined || extra.length > 0) throw new UsageError(`expected one drill name or 'all'; drills: ${DRILL_NAMES.join(', ')}`);
    if (which !== 'all' && !isDrillName(which)) throw new UsageError(`no drill '${which}'; drills: ${DRILL_NAMES.join(', ')}`);
    const names: readonly DrillName[] = which === 'all' ? DRILL_NAMES : [which as DrillName];
    const seed = positiveInt(v.seed, '--seed', 1);
    const rounds = positiveInt(v.rounds, '--rounds', 1);
    if (rounds > 1 && which !== 'all') throw new UsageError('--rounds goes with drill all');
    const timing: DrillTiming = {
      warmupMs: positiveInt(v['warmup-ms'], '--warmup-ms', DEFAULT_TIMING.warmupMs),
      faultMs: positiveInt(v['fault-ms'], '--fault-ms', DEFAULT_TIMING.faultMs),
      settleMs: positiveInt(v['settle-ms'], '--settle-ms', DEFAULT_TIMING.settleMs),
      convergeLimitMs: positiveInt(v['converge-limit-ms'], '--converge-limit-ms', DEFAULT_TIMING.convergeLimitMs),
    };
    const cluster = DrillCluster.open(v.dir);
    const reports: DrillReport[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [index, name] of names.entries()) {
        const plan = planDrill(name, rounds > 1 ? roundSeed(seed, round, index) : seed, timing);
        if (!v.json) io.out(`drill ${name} (seed ${plan.seed})${rounds > 1 ? `, round ${round + 1} of ${rounds}` : ''}\n`);
        const report = await runDrill(cluster, plan, DRILLS[name], v.json ? () => {} : (line) => io.out(`${line}\n`));
        reports.push(report);
        io.out(v.json ? `${JSON.stringify(report)}\n` : renderReport(report));
      }
    }
    if (names.length > 1 || rounds > 1) {
      const t = totals(reports);
      const command = `npx picokube drill ${which}${rounds > 1 ? ` --rounds ${rounds}` : ''} --seed ${seed}`;
      io.out(v.json ? `${JSON.stringify({ totals: t })}\n` : `\n${renderTotals(t, command)}`);
    }
    return reports.every((r) => r.pass) ? 0 : 1;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.err(`picokube drill: ${e.message}\n`);
    return 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      dir: { type: 'string', default: DEFAULT_DIR },
      seed: { type: 'string' },
      rounds: { type: 'string' },
      json: { type: 'boolean', default: false },
      'warmup-ms': { type: 'string' },
      'fault-ms': { type: 'string' },
      'settle-ms': { type: 'string' },
      'converge-limit-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}
