import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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

  before(async () => {
    repo = sandbox.repo();
    await sandbox.ok(['init'], { cwd: repo });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    await sandbox.ok(['new', 'first', '-m', 'One'], { cwd: repo });
  });
  after(() => sandbox.cleanup());

  it('lists the tasks, then sends each change once, with only the tasks that changed', async () => {
    const { rpc, list, changes } = await subscribe({ cwd: repo });
    let seen = 0;
    /** The next change (after those already looked at) that `holds`; the ones before it are passed over. */
    const next = async (holds: (change: TaskListChange) => boolean, what: string) => {
      let found = -1;
      await waitFor(() => (found = changes.findIndex((change, index) => index >= seen && holds(change))) >= 0, what);
      seen = found + 1;
      return changes[found]!;
    };
    const has = (change: TaskListChange, ref: string) => change.tasks.some((t) => t.ref === ref);
    // As a person's editor saves: a whole new file in place of the old one.
    const save = (path: string, text: string) => {
      writeFileSync(join(repo, '.orchestra', 'tasks', '.editing'), text);
      renameSync(join(repo, '.orchestra', 'tasks', '.editing'), path);
    };
    try {
      assert.deepEqual(list.tasks.map((t) => [t.ref, t.status]), [['1:first', 'draft']]);
      await sandbox.ok(['new', 'second', '-m', 'Two'], { cwd: repo });
      const created = await next((c) => has(c, '2:second'), 'the change of the new task');
      assert.deepEqual(created.tasks.map((t) => t.ref), ['2:second'], 'the unchanged task is not sent again');
      assert.equal(created.project, repo);
      await sandbox.ok(['complete', '1'], { cwd: repo });
      const completed = await next((c) => has(c, '1:first'), 'the change of status');
      assert.deepEqual(completed.tasks.map((t) => [t.ref, t.status]), [['1:first', 'completed']]);
      // A person's editor writes the file directly: the daemon notices through its file watcher.
      const file = join(repo, '.orchestra', 'tasks', '2:second.md');
      save(file, '---\nstatus: idle\nbase_branch: main\n---\nTwo, edited\n');
      const edited = await next((c) => has(c, '2:second'), 'the change made by hand');
      assert.deepEqual(edited.tasks.map((t) => [t.ref, t.status, t.title]), [['2:second', 'idle', 'Two, edited']]);
      save(file, '---\nstatus: [\n---\n');
      const broken = await next((c) => c.removed.includes('2:second'), 'the file becoming unreadable');
      assert.deepEqual(broken.problems.map((p) => [p.project, p.path]), [[repo, file]]);
      save(file, '---\nstatus: draft\n---\nTwo again\n');
      const repaired = await next((c) => has(c, '2:second'), 'the repair');
      assert.deepEqual(repaired.problems, []);
      await sandbox.ok(['rm', '2'], { cwd: repo });
      await next((c) => c.removed.includes('2:second'), 'the removal');
      // Nothing is sent twice: every change so far was one of those looked for.
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(changes.length, seen, `changes: ${JSON.stringify(changes.map((c) => [c.tasks.map((t) => t.ref), c.removed]))}`);
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

  it('sees a tasks directory removed and made again', async () => {
    const project = sandbox.repo('replaced');
    await sandbox.ok(['new', 'before', '-m', 'Before'], { cwd: project });
    const { rpc, changes } = await subscribe({ cwd: project });
    try {
      const dir = join(project, '.orchestra', 'tasks');
      rmSync(dir, { recursive: true });
      await waitFor(() => changes.some((c) => c.removed.includes('1:before')), 'the removal of the directory');
      mkdirSync(dir);
      // Made again later than any refresh of the removal: only a watcher can see this.
      await new Promise((resolve) => setTimeout(resolve, 300));
      writeFileSync(join(dir, '7:after.md'), '---\nstatus: draft\n---\nAfter\n');
      await waitFor(() => changes.some((c) => c.tasks.some((t) => t.ref === '7:after')), 'the task in the new directory');
      writeFileSync(join(dir, '7:after.md'), '---\nstatus: idle\n---\nAfter\n');
      await waitFor(() => changes.some((c) => c.tasks.some((t) => t.ref === '7:after' && t.status === 'idle')), 'an edit in the new directory');
    } finally {
      rpc.close();
    }
  });

  it('cuts off a subscriber that stops reading, and goes on for everyone else', async () => {
    const project = sandbox.repo('unread');
    // Each change of this task is a notification of 200 KB: the limit (4 MiB unread) comes quickly.
    await sandbox.ok(['new', 'big'], { cwd: project, input: `${'x'.repeat(200_000)}\n` });
    const stuck = connect(join(sandbox.home, 'run', 'daemon.sock'));
    await new Promise((resolve) => stuck.once('connect', resolve));
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: Methods.subscribeTasks.method, params: { cwd: project } });
    stuck.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await new Promise((resolve) => stuck.once('data', resolve));
    stuck.pause();
    const log = () => readFileSync(join(sandbox.home, 'state', 'daemon.log'), 'utf8');
    const { rpc } = await subscribe({ cwd: repo });
    try {
      for (let i = 0; i < 400 && !/dropping a client connection: the client left \d+ bytes of replies and notifications unread/.test(log()); i++) {
        await rpc.request(Methods.setTaskStatus.method, { cwd: project, ref: '1', status: i % 2 ? 'idle' : 'draft' });
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      assert.match(log(), /dropping a client connection: the client left \d+ bytes of replies and notifications unread/);
      assert.doesNotMatch(log(), /Sending notification failed/, 'the notifications it never got are not a line each');
      const task = await rpc.request<{ status: string }>(Methods.getTask.method, { cwd: project, ref: '1' });
      assert.ok(task.status === 'idle' || task.status === 'draft');
    } finally {
      stuck.destroy();
      rpc.close();
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
