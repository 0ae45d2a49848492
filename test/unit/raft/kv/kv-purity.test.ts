import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';

const dir = join(import.meta.dirname, '../../../../raft/kv');
const files = readdirSync(dir).filter((name) => name.endsWith('.ts'));

t.test('the state machine reads no clock, no randomness and no I/O', async (t) => {
  const banned = [/\bDate\b/, /Math\.random/, /from 'node:/, /\bsetTimeout\b/, /\bsetInterval\b/, /\bawait\b/, /\bprocess\./, /performance\.now/];
  for (const name of files) {
    const code = readFileSync(join(dir, name), 'utf8');
    for (const pattern of banned) t.notMatch(code, pattern, `${name} uses ${pattern}`);
  }
});

t.test('each file of the state machine stays under 400 lines', async (t) => {
  for (const name of files) {
    const lines = readFileSync(join(dir, name), 'utf8').split('\n').length;
    t.ok(lines <= 400, `${name} has ${lines} lines`);
  }
});
