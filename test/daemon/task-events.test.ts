import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DAEMON_PROTOCOL_VERSION, Methods, TASKS_CHANGED_NOTIFICATION, type TaskList, type TaskListChange } from '../../protocol/daemon.js';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { VERSION } from '../../src/core/version.js';
import { CLI, Sandbox, waitFor } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

/** The daemon's change events (`task.subscribe`, then `task.changed` notifications), as a client on its socket sees them. */
describe('task events', () => {
  const sandbox = new Sandbox();
  let repo: string;

  /** A raw JSON-RPC subscriber; `changes` collects every notification. */
  const subscribe = async (params: { cwd?: string; all?: boolean }) => {
    const socket = connect(join(sandbox.home, 'run', 'daemon.sock'));
    await new Promise((resolve) => socket.once('connect', resolve));
    const rpc = new JsonRpcClient(socket);
    const changes: TaskListChange[] = [];
    rpc.onNotification(TASKS_CHANGED_NOTIFICATION, (change) => changes.push(change as TaskListChange));
    await rpc.request(Methods.hello.method, { version: VERSION, protocol: DAEMON_PROTOCOL_VERSION });
    const list = await rpc.request<TaskList>(Methods.subscribeTasks.method, params);
    return { rpc, list, changes };
  };
  const last = (changes: TaskListChange[]) => changes[changes.length - 1]!;

  before(async () => {
    repo = sandbox.repo();
    await sandbox.ok(['init'], { cwd: repo });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    await sandbox.ok(['new', 'first', '-m', 'One'], { cwd: repo });
  });
  after(() => sandbox.cleanup());

  it('lists the tasks, then sends each change once, with only the tasks that changed', async () => {
    const { rpc, list, changes } = await subscribe({ cwd: repo });
    try {
      assert.deepEqual(list.tasks.map((t) => [t.ref, t.status]), [['1:first', 'draft']]);
      await sandbox.ok(['new', 'second', '-m', 'Two'], { cwd: repo });
      await waitFor(() => changes.length === 1, 'the change of the new task');
      assert.deepEqual(last(changes).tasks.map((t) => t.ref), ['2:second'], 'the unchanged task is not sent again');
      assert.equal(last(changes).project, repo);
      await sandbox.ok(['complete', '1'], { cwd: repo });
      await waitFor(() => changes.length === 2, 'the change of status');
      assert.deepEqual(last(changes).tasks.map((t) => [t.ref, t.status]), [['1:first', 'completed']]);
      // A person's editor writes the file directly: the daemon notices through its file watcher.
      const file = join(repo, '.orchestra', 'tasks', '2:second.md');
      writeFileSync(file, '---\nstatus: idle\nbase_branch: main\n---\nTwo, edited\n');
      await waitFor(() => changes.length === 3, 'the change made by hand');
      assert.deepEqual(last(changes).tasks.map((t) => [t.ref, t.status, t.title]), [['2:second', 'idle', 'Two, edited']]);
      writeFileSync(file, '---\nstatus: [\n---\n');
      await waitFor(() => changes.length === 4, 'the file becoming unreadable');
      assert.deepEqual(last(changes).removed, ['2:second']);
      assert.deepEqual(last(changes).problems.map((p) => [p.project, p.path]), [[repo, file]]);
      writeFileSync(file, '---\nstatus: draft\n---\nTwo again\n');
      await waitFor(() => changes.length === 5, 'the repair');
      assert.deepEqual(last(changes).problems, []);
      await sandbox.ok(['rm', '2'], { cwd: repo });
      await waitFor(() => changes.length === 6, 'the removal');
      assert.deepEqual(last(changes).removed, ['2:second']);
    } finally {
      rpc.close();
    }
  });

  it("tells of an agent's start, viewers and end, which no task file shows", async () => {
    await sandbox.ok(['set-status', '1', 'draft'], { cwd: repo });
    const { rpc, changes } = await subscribe({ cwd: repo });
    const first = () => changes.flatMap((c) => c.tasks).filter((t) => t.ref === '1:first');
    try {
      await sandbox.ok(['start', '1'], { cwd: repo });
      await waitFor(() => first().some((t) => t.alive), 'the start');
      const viewer = new TestTerminal(process.execPath, [CLI, 'attach', '1', '--read-only'], { cwd: repo, env: sandbox.env, cols: 80, rows: 24 });
      try {
        await waitFor(() => first().some((t) => t.viewers === 1), 'the viewer');
      } finally {
        viewer.kill();
      }
      await waitFor(() => first()[first().length - 1]!.viewers === 0, 'the viewer to leave');
      await sandbox.ok(['stop', '1'], { cwd: repo });
      await waitFor(() => !first()[first().length - 1]!.alive, 'the end');
    } finally {
      rpc.close();
    }
  });

  it('shows a project that becomes known to a subscriber of every project', async () => {
    const { rpc, list, changes } = await subscribe({ all: true });
    try {
      assert.deepEqual(list.tasks.map((t) => t.ref), ['1:first']);
      const other = sandbox.repo('other');
      await sandbox.ok(['new', 'elsewhere', '-m', 'Three'], { cwd: other });
      await waitFor(() => changes.some((c) => c.project === other && c.tasks.some((t) => t.ref === '1:elsewhere')), 'the new project');
    } finally {
      rpc.close();
    }
  });

  it('status --watch prints the overview again on every change (with --json, one array a line)', async () => {
    const watcher = spawn(process.execPath, [CLI, 'status', '--watch', '--json'], { cwd: repo, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffer = '';
    watcher.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const parts = buffer.split('\n');
      buffer = parts.pop()!;
      lines.push(...parts);
    });
    try {
      await waitFor(() => lines.length === 1, 'the first overview');
      assert.deepEqual(JSON.parse(lines[0]!).map((t: { ref: string }) => t.ref), ['1:first']);
      await sandbox.ok(['new', 'watched', '-m', 'Four'], { cwd: repo });
      await waitFor(() => lines.length === 2, 'the overview after the change');
      assert.deepEqual(JSON.parse(lines[1]!).map((t: { ref: string; status: string }) => [t.ref, t.status]), [['1:first', 'idle'], ['3:watched', 'draft']]);
    } finally {
      watcher.kill();
    }
  });

  it('refuses a subscription outside any project with a sentence', async () => {
    const socket = connect(join(sandbox.home, 'run', 'daemon.sock'));
    await new Promise((resolve) => socket.once('connect', resolve));
    const rpc = new JsonRpcClient(socket);
    try {
      await assert.rejects(rpc.request(Methods.subscribeTasks.method, { cwd: sandbox.root }), /not .*git|repository/i);
    } finally {
      rpc.close();
    }
  });
});
