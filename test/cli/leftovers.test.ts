import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DAEMON_PROTOCOL_VERSION, Methods, TASKS_CHANGED_NOTIFICATION, type TaskListChange } from '../../protocol/daemon.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { VERSION } from '../../src/core/version.js';
import { processTable } from '../helpers/processes.js';
import { git, Sandbox, waitFor } from '../helpers/sandbox.js';

/**
 * Starts, in a session of its own (as a detached spawn or setsid does), a sleep that withstands
 * every polite signal; writes its pid and its own to the file named first, and stays.
 */
const SPAWNER = `
const { spawn } = require('node:child_process');
const child = spawn('/bin/sh', ['-c', 'trap "" INT TERM HUP; exec sleep 1000'], { detached: true, stdio: 'ignore' });
require('node:fs').writeFileSync(process.argv[2], process.pid + '\\n' + child.pid + '\\n', { flag: 'a' });
setInterval(() => {}, 1e9);
`;

/** Processes of `pids` that still run (a zombie has ended: it only waits to be collected). */
function running(pids: number[]): number[] {
  return processTable()
    .filter((row) => pids.includes(row.pid) && !row.stat.startsWith('Z'))
    .map((row) => row.pid);
}

/** Issue 16: nothing an agent or a setup script started outlives them. */
describe('nothing of an agent outlives it', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const pidFile = (name: string) => join(sandbox.root, `${name}.pids`);
  /** The pids an agent or a setup script wrote, once there are `count` of them. */
  const pidsOf = async (name: string, count: number): Promise<number[]> => {
    const read = () => (existsSync(pidFile(name)) ? readFileSync(pidFile(name), 'utf8').trim().split('\n').map(Number) : []);
    await waitFor(() => read().length >= count, `${count} pids in ${name}.pids`);
    return read();
  };
  /** Lines of a setup script that start the spawner in the background and wait until it has started its process. */
  const startHelper = (name: string) => `${process.execPath} ${sandbox.root}/spawner.cjs ${pidFile(name)} &\nuntil [ -s ${pidFile(name)} ]; do sleep 0.1; done\n`;
  const setup = (script: string, timeout = 15) => {
    writeFileSync(join(repo, '.orchestra', 'setup.sh'), `#!/bin/sh\n${script}`);
    chmodSync(join(repo, '.orchestra', 'setup.sh'), 0o755);
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), `${readFileSync(join(repo, '.orchestra', 'config.base.yaml'), 'utf8')}setup:\n  timeout: ${timeout}\n`);
  };

  before(() => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'));
    const spawner = join(sandbox.root, 'spawner.cjs');
    writeFileSync(spawner, SPAWNER);
    const pids = `${sandbox.root}/$ORCHESTRA_TASK_SLUG.pids`;
    // In its own group (job control), in a session of its own under a living parent, and itself.
    const tree = `set -m; sleep 1000 & echo $! >> ${pids}; ${process.execPath} ${spawner} ${pids} & echo $$ >> ${pids}; echo ready; wait`;
    // One that ignores the hang-up its end sends its group, and that it leaves behind.
    const quitter = `nohup sleep 1000 > /dev/null 2>&1 & echo $! >> ${pids}; echo $$ >> ${pids}; sleep 2; exit 0`;
    writeFileSync(
      join(repo, '.orchestra', 'config.base.yaml'),
      ['agent: tree', 'agents:', `  tree: { command: ${JSON.stringify(['/bin/sh', '-c', tree])} }`, `  quitter: { command: ${JSON.stringify(['/bin/sh', '-c', quitter])} }`, ''].join('\n'),
    );
    setup('');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'orchestra config');
  });
  after(() => sandbox.cleanup());

  /** Subscribes to the daemon's events; `ended` resolves once task `slug` is idle with no agent running. */
  const watchEnd = async (slug: string) => {
    const socket = connect(join(sandbox.home, 'run', 'daemon.sock'));
    await new Promise((resolve) => socket.once('connect', resolve));
    const rpc = new JsonRpcClient(socket);
    const ended = new Promise<void>((resolve) =>
      rpc.onNotification(TASKS_CHANGED_NOTIFICATION, (change) => {
        if ((change as TaskListChange).tasks.some((t) => t.slug === slug && t.status === 'idle' && !t.alive)) resolve();
      }),
    );
    await rpc.request(Methods.hello.method, { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION });
    await rpc.request(Methods.subscribeTasks.method, { cwd: repo });
    return { ended: ended.finally(() => socket.destroy()) };
  };

  /** Starts task `name` with the tree agent and returns the pids of its four processes. */
  const startTree = async (name: string): Promise<number[]> => {
    await sandbox.ok(['new', name, '-m', 'x'], { cwd: repo });
    await sandbox.ok(['start', name], { cwd: repo });
    const pids = await pidsOf(name, 4);
    assert.equal(running(pids).length, 4, 'all of it runs');
    return pids;
  };

  it('stop ends every process group and session of the agent, even what withstands interrupt and terminate', async () => {
    const pids = await startTree('stopped');
    await sandbox.ok(['stop', 'stopped'], { cwd: repo });
    assert.deepEqual(running(pids), []);
  });

  it('stop --force ends all of it too', async () => {
    const pids = await startTree('forced');
    await sandbox.ok(['stop', 'forced', '--force'], { cwd: repo });
    assert.deepEqual(running(pids), []);
  });

  it('a holder killed with kill -9 takes all of its agent with it; the task is idle only once it is gone', async () => {
    const pids = await startTree('orphaned');
    const holder = sandbox.holders().find((h) => pids.includes(h.agent_pid))!;
    const { ended } = await watchEnd('orphaned');
    process.kill(holder.pid, 'SIGKILL');
    await ended;
    assert.deepEqual(running(pids), []);
  });

  it('a holder killed while no daemon runs takes all of its agent with it as well', async () => {
    const pids = await startTree('unwatched');
    const holder = sandbox.holders().find((h) => pids.includes(h.agent_pid))!;
    await sandbox.ok(['daemon', 'stop']);
    process.kill(holder.pid, 'SIGKILL');
    // Nothing reports this end: the processes are watched until they are gone.
    await waitFor(() => running(pids).length === 0, 'the agent and everything it started to end');
    const task = JSON.parse(await sandbox.ok(['show', 'unwatched', '--json'], { cwd: repo }));
    assert.deepEqual([task.status, task.alive], ['idle', false], 'the next daemon records its end');
  });

  it('an agent that ends by itself takes what it left in its group, even what ignores the hang-up', async () => {
    await sandbox.ok(['new', 'quits', '-m', 'x', '--agent', 'quitter'], { cwd: repo });
    const { ended } = await watchEnd('quits');
    await sandbox.ok(['start', 'quits'], { cwd: repo });
    const pids = await pidsOf('quits', 2);
    await ended;
    assert.deepEqual(running(pids), []);
  });

  it('a setup script that runs out of time takes what it started with it, in every session', async () => {
    setup(`${startHelper('setup-slow')}sleep 100\n`, 3);
    await sandbox.ok(['new', 'slow', '-m', 'x'], { cwd: repo });
    const result = await sandbox.run(['start', 'slow'], { cwd: repo });
    assert.match(result.stderr, /ran longer than 3 s/);
    const pids = await pidsOf('setup-slow', 2);
    assert.deepEqual(running(pids), []);
  });

  it('a setup script that fails, or succeeds, takes what it left in the background with it', async () => {
    for (const [name, exit] of [
      ['failing', 'exit 3'],
      ['leaving', 'exit 0'],
    ] as const) {
      setup(`${startHelper(`setup-${name}`)}${exit}\n`);
      await sandbox.ok(['new', name, '-m', 'x'], { cwd: repo });
      const result = await sandbox.run(['start', name], { cwd: repo });
      assert.equal(result.code, exit === 'exit 0' ? 0 : 1, result.stderr);
      const pids = await pidsOf(`setup-${name}`, 2);
      assert.deepEqual(running(pids), [], name);
      if (result.code === 0) await sandbox.ok(['stop', name, '--force'], { cwd: repo });
    }
  });
});
