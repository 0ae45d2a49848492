import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * DIR/restart-hold.json: the components a fault drill keeps down on purpose. The launcher does
 * not restart a held component that dies; it waits until the drill releases it (removes its
 * name), then starts it again. Should no launcher supervise (it was killed), the drill starts
 * released components itself. The file is a JSON array of component names.
 */
export function readRestartHold(file: string): Set<string> {
  if (!existsSync(file)) return new Set();
  try {
    const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return new Set(Array.isArray(raw) ? raw.filter((x): x is string => typeof x === 'string') : []);
  } catch {
    // A torn or foreign file holds nothing: the launcher must never stall on it.
    return new Set();
  }
}

/** Replaces the held set in one rename; an empty set removes the file. */
export function writeRestartHold(file: string, names: ReadonlySet<string>): void {
  if (names.size === 0) {
    rmSync(file, { force: true });
    return;
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify([...names].sort())}\n`);
  renameSync(tmp, file);
}
