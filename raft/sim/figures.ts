import { DEFAULT_SIM_OPTIONS, Simulator, type SimOptions } from './simulator.js';

/**
 * npm run sim:figures — the Raft core's figures in simulated time, with no faults:
 * time to elect the first leader and to replace a crashed one (median and worst over seeds),
 * messages per committed entry, and committed entries per simulated second with pipelining on
 * and off. Default timeouts: 10 ms ticks, election after 15-30 ticks (150-300 ms, as in the
 * dissertation's measurements), heartbeat every 5 ticks; network 0.5-2 ms one way, 1 ms fsync.
 */
const SEEDS = Number(process.argv[2] ?? 200);

function options(seed: number, over: Partial<SimOptions>): SimOptions {
  return {
    ...DEFAULT_SIM_OPTIONS,
    faults: false,
    membershipChanges: false,
    seed,
    ...over,
  };
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
}

const firstLeader: number[] = [];
const failover: number[] = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const sim = new Simulator(options(seed, { replicas: 3, faultPhaseMs: 3000, healPhaseMs: 500, quiesceMs: 100 }));
  sim.scheduleLeaderCrash(1500 + (seed % 10) * 7);
  const report = sim.run();
  if (report.stats.firstLeaderMs !== undefined) firstLeader.push(report.stats.firstLeaderMs);
  const f = report.stats.failoverMs[0];
  if (f !== undefined) failover.push(f);
}

/**
 * 256 closed-loop writers and appends capped at 1 KiB (about 8 entries), so that the window of
 * appends in flight, not the number of clients, limits throughput.
 */
function throughput(maxInflightMsgs: number): { entriesPerSec: number; msgsPerEntry: number; p50Ms: number } {
  let entries = 0;
  let msgs = 0;
  let seconds = 0;
  const latencies: number[] = [];
  for (let seed = 1; seed <= 2; seed++) {
    const runMs = 3000;
    const report = new Simulator(
      options(seed, {
        replicas: 3,
        clients: 256,
        faultPhaseMs: runMs,
        healPhaseMs: 0,
        quiesceMs: 0,
        raft: { ...DEFAULT_SIM_OPTIONS.raft, maxInflightMsgs, maxSizePerMsgBytes: 1024 },
        workload: { ...DEFAULT_SIM_OPTIONS.workload, readRatio: 0, casRatio: 0, thinkMs: 0, attemptTimeoutMs: 1000, opTimeoutMs: 5000 },
      }),
    ).run();
    entries += report.stats.entriesCommitted;
    msgs += report.stats.messagesSent;
    seconds += runMs / 1000;
    for (const op of report.history) if (op.return !== null) latencies.push(op.return - op.call);
  }
  return { entriesPerSec: entries / seconds, msgsPerEntry: msgs / entries, p50Ms: percentile(latencies, 50) };
}

const on = throughput(64);
const off = throughput(1);

const ms = (x: number) => `${x.toFixed(0)} ms`;
console.log(`seeds: ${SEEDS}, 3 replicas, election timeout 150-300 ms, heartbeat 50 ms, network 0.5-2 ms, fsync 1 ms`);
console.log(`first leader elected:   median ${ms(percentile(firstLeader, 50))}, p99 ${ms(percentile(firstLeader, 99))}, worst ${ms(Math.max(...firstLeader))}`);
console.log(`crashed leader replaced: median ${ms(percentile(failover, 50))}, p99 ${ms(percentile(failover, 99))}, worst ${ms(Math.max(...failover))} (${failover.length} runs)`);
for (const [name, f] of [['on (64 appends in flight)', on], ['off (1 append in flight)', off]] as const) {
  console.log(`256 writers, 1 KiB appends, pipelining ${name}: ${f.entriesPerSec.toFixed(0)} entries/s, write p50 ${ms(f.p50Ms)}, ${f.msgsPerEntry.toFixed(2)} messages per committed entry`);
}
