import t from 'tap';
import { FlagError, kubeBoolean, numberFlag, parseComponentFlags } from '../../../../kube/component/component-flags.js';
import { parseNodeAgentFlags } from '../../../../nodeagent/agent-flags.js';

t.test('kube-style booleans: alone they mean true, =false turns them off, anything else is refused', async (t) => {
  const options = { 'leader-elect': { type: 'string' as const, default: 'true' }, port: { type: 'string' as const } };
  t.equal(parseComponentFlags(['--leader-elect'], options, ['leader-elect'])['leader-elect'], 'true');
  t.equal(kubeBoolean(parseComponentFlags(['--leader-elect=False'], options, ['leader-elect'])['leader-elect'], '--leader-elect'), false);
  t.equal(kubeBoolean(parseComponentFlags([], options, ['leader-elect'])['leader-elect'], '--leader-elect'), true);
  t.throws(() => kubeBoolean('yes', '--leader-elect'), new FlagError('--leader-elect must be true or false'));
  t.throws(() => parseComponentFlags(['--nope'], options), FlagError, 'an unknown flag is a FlagError');
  t.throws(() => parseComponentFlags(['--port'], options), FlagError, 'a missing value is a FlagError');
});

t.test('number flags name their range', async (t) => {
  t.equal(numberFlag('10', '--port', 0, 65535), 10);
  t.equal(numberFlag('0.5', '--qps', 0, Number.MAX_SAFE_INTEGER, false), 0.5);
  t.throws(() => numberFlag('0.5', '--count', 1), /--count must be an integer from 1$/);
  t.throws(() => numberFlag('70000', '--port', 0, 65535), /--port must be an integer from 0 to 65535/);
  t.throws(() => numberFlag(' ', '--port', 0, 65535), FlagError);
});

t.test('the node agent reads its flags through them', async (t) => {
  t.equal(parseNodeAgentFlags(['--name', 'n1']).port, 10250);
  t.throws(() => parseNodeAgentFlags(['--count', '0']), /--count must be an integer from 1 to 100000/);
  t.throws(() => parseNodeAgentFlags(['--bogus']), FlagError);
});
