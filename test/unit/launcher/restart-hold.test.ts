import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readRestartHold, writeRestartHold } from '../../../scripts/launcher/restart-hold.js';

t.test('a held set reads back; an empty one removes the file; a damaged file holds nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'picokube-hold-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'restart-hold.json');
  t.same([...readRestartHold(file)], [], 'no file: nothing held');
  writeRestartHold(file, new Set(['store-2', 'apiserver']));
  t.same([...readRestartHold(file)].sort(), ['apiserver', 'store-2']);
  writeRestartHold(file, new Set());
  t.notOk(existsSync(file), 'releasing everything removes the file');
  writeFileSync(file, '{"not": "a list"');
  t.same([...readRestartHold(file)], [], 'a torn file never stalls the launcher');
});
