import t from 'tap';
import { network } from '../../../helpers/raft-network.js';
t.test('smoke', async (t) => {
  const net = network(t, { voters: [1, 2, 3], config: { preVote: false } });
  net.tickElection(1);
  net.stabilize();
  console.log(net.takeTrace().join('\n'));
  net.propose(1, 'a');
  net.stabilize();
  net.run(3);
  console.log(net.dump());
});
