import type { AdapterOptions, KvAdapter } from './kv-adapter.js';

/**
 * One 3-member cluster under test, picokube's or etcd's, on loopback with free ports and its own
 * temporary data directories. Members are addressed by index (0..2) so the harness never needs
 * to know how either system names them.
 */
export interface BenchCluster {
  readonly system: string;
  /** host:port of every member's client endpoint, in member order. */
  readonly endpoints: readonly string[];
  /** The settings that matter for the figures (timeouts, fsync), for the report. */
  readonly settings: string;
  start(): Promise<void>;
  adapter(options: AdapterOptions): KvAdapter;
  /** PIDs of the running members, for their CPU time. */
  serverPids(): number[];
  /** Index of the member that leads now, as the members themselves report it. */
  leaderIndex(): Promise<number>;
  /** kill -9 of one member; resolves once it has exited. */
  killMember(index: number): Promise<void>;
  /** Starts a killed member again on its old data directory. */
  restartMember(index: number): Promise<void>;
  /** Resolves once every member runs, agrees on one leader and has applied what it committed. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** The temporary folder holding the members' data directories and logs. */
  readonly directory: string;
  /** Ends every member by PID and removes the data directories, unless `keepDir`. */
  stop(keepDir?: boolean): Promise<void>;
}
