import { hangUpTree } from '../platform/process-tree.js';

/**
 * `node keeper-main.js <agent pid> <agent start>`: what the terminal keeper runs once its
 * holder is gone without having ended the agent (TerminalKeeper). The keeper still holds the
 * terminal, so the agent and its tree are all there: they are hung up, all of them, as the
 * terminal's end would have hung up the agent alone; the terminal closes when this exits.
 */
const [pid, start] = process.argv.slice(2);
hangUpTree({ pid: Number(pid), start })
  .then((ended) => {
    if (!ended) process.stderr.write(`orchestra keeper: some processes of agent ${pid} did not end after SIGKILL\n`);
  })
  .finally(() => process.exit(0));
