import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AuditLogFile } from '../../../../apiserver/audit/audit-log.js';

function tempDir(t: { teardown: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-audit-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function lines(path: string): unknown[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

t.test('events are appended as JSON lines, in order', async (t) => {
  const path = join(tempDir(t), 'audit.log');
  const log = new AuditLogFile({ path, maxSizeBytes: 0, maxBackups: 0 });
  for (let i = 0; i < 5; i++) log.write({ n: i });
  await log.close();
  t.same(
    lines(path),
    [0, 1, 2, 3, 4].map((n) => ({ n })),
  );
});

t.test('the log rotates before it would pass its size and keeps only maxBackups files', async (t) => {
  const path = join(tempDir(t), 'audit.log');
  // Each line is 100 bytes; 350 bytes hold three.
  const event = (n: number) => ({ n, pad: 'x'.repeat(100 - JSON.stringify({ n, pad: '' }).length - 1) });
  t.equal(JSON.stringify(event(0)).length + 1, 100);
  const log = new AuditLogFile({ path, maxSizeBytes: 350, maxBackups: 2 });
  for (let i = 0; i < 12; i++) {
    log.write(event(i));
    // Flushing now and then makes the writes land in several batches, as under real traffic.
    if (i % 4 === 0) await log.flush();
  }
  await log.close();
  t.ok(statSync(path).size <= 350, 'the current file stays within the limit');
  t.same(
    lines(path).map((e) => (e as { n: number }).n),
    [9, 10, 11],
  );
  t.same(
    lines(`${path}.1`).map((e) => (e as { n: number }).n),
    [6, 7, 8],
  );
  t.same(
    lines(`${path}.2`).map((e) => (e as { n: number }).n),
    [3, 4, 5],
  );
  t.notOk(existsSync(`${path}.3`), 'older files beyond maxBackups are gone');
});

t.test('a log that cannot be written drops lines without throwing', async (t) => {
  const path = join(tempDir(t), 'no-such-dir', 'audit.log');
  const log = new AuditLogFile({ path, maxSizeBytes: 0, maxBackups: 0 });
  log.write({ n: 1 });
  await log.flush();
  t.equal(log.dropped, 1);
  await log.close();
});

t.test('past the pending limit lines are dropped and counted, never queued without bound', async (t) => {
  const path = join(tempDir(t), 'audit.log');
  const log = new AuditLogFile({ path, maxSizeBytes: 0, maxBackups: 0, pendingLinesMax: 3 });
  for (let i = 0; i < 10; i++) log.write({ n: i });
  await log.close();
  t.ok(log.dropped > 0);
  t.equal(lines(path).length + log.dropped, 10);
});
