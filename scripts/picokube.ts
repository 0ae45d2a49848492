/**
 * The picokube command: one entry point, a subcommand per process or tool.
 *   picokube store ...      one store replica (raft/server)
 *   picokube storectl ...   the store's command-line client, like etcdctl
 */
const [command, ...rest] = process.argv.slice(2);

const commands: Record<string, () => Promise<{ main(argv: string[]): Promise<void> }>> = {
  store: () => import('../raft/server/main.js'),
  storectl: () => import('./storectl.js'),
};

const load = command ? commands[command] : undefined;
if (!load) {
  process.stdout.write(`usage: picokube <command> [--help]\n\ncommands:\n  store      run one replica of the replicated store\n  storectl   talk to the store (put, get, del, txn, watch, lease, member, snapshot, endpoint status)\n`);
  process.exit(command === undefined || command === '--help' || command === 'help' ? 0 : 2);
} else {
  const mod = await load();
  await mod.main(rest);
}
