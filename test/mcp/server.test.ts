import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, git, Sandbox, waitFor } from '../helpers/sandbox.js';

type ToolResult = { content: { type: string; text: string }[]; structuredContent?: Record<string, unknown>; isError?: boolean };

describe('orchestra mcp', () => {
  const sandbox = new Sandbox();
  let repo: string;
  let client: Client;

  const call = async (name: string, args: Record<string, unknown> = {}) => (await client.callTool({ name, arguments: args })) as ToolResult;
  const text = (result: ToolResult) => result.content.map((c) => c.text).join('\n');
  const status = async () => JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo })) as { ref: string; status: string; alive: boolean }[];

  before(async () => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: counter\nagents:\n  counter: { command: ${JSON.stringify(['/bin/sh', '-c', 'seq 1 5; echo counted; exec sleep 300'])}, idle_after: 600 }\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config');
    await sandbox.ok(['new', 'caller', '-m', 'The task whose agent calls the server.'], { cwd: repo });
    // As Orchestra starts it for task 1's agent: scoped by environment, run from elsewhere.
    const env = { ...sandbox.env, ORCHESTRA_PROJECT_ROOT: repo, ORCHESTRA_TASK_ID: '1' } as Record<string, string>;
    client = new Client({ name: 'test', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, cwd: sandbox.root, stderr: 'pipe' }));
  });
  after(async () => {
    await client?.close();
    await sandbox.cleanup();
  });

  it('lists its tools, each with a description and a schema', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['complete_task', 'create_task', 'get_task', 'list_tasks', 'read_task_screen', 'set_task_status', 'start_task', 'stop_task']);
    for (const tool of tools) {
      assert.ok(tool.description && tool.description.length > 20, `${tool.name} says what it does`);
      assert.equal(tool.inputSchema.type, 'object');
    }
  });

  it('creates, starts, reads, stops and completes tasks, as the task files and status show', async () => {
    const created = await call('create_task', { slug: 'split-off', description: 'A piece of work split off.', start: true });
    assert.equal(text(created), 'Created 2:split-off, its agent runs.');
    assert.equal((created.structuredContent!.task as { ref: string }).ref, '2:split-off');
    assert.deepEqual((await status()).map((t) => [t.ref, t.status, t.alive]), [['1:caller', 'draft', false], ['2:split-off', 'running', true]]);

    assert.match(text(await call('list_tasks')), /^1:caller {2}draft .*\n2:split-off {2}running \(agent running\)/);
    assert.match(text(await call('list_tasks', { status: 'running' })), /^2:split-off/);
    assert.match(text(await call('get_task')), /^1:caller .*\n\nThe task whose agent calls the server\.$/, 'get_task defaults to the caller');

    await waitFor(async () => text(await call('read_task_screen', { task: 'split-off' })).includes('counted'), "the other agent's screen");
    assert.match(text(await call('read_task_screen', { task: '2' })), /^1\n2\n3\n4\n5\ncounted/);

    assert.match(text(await call('stop_task', { task: '2', force: true })), /^Stopped 2:split-off \(killed by SIGKILL\)\.$/);
    assert.equal(text(await call('start_task', { task: '2' })).startsWith('Started 2:split-off; its agent runs in '), true);
    await call('stop_task', { task: '2' });

    assert.equal(text(await call('complete_task')), '1:caller is completed.', 'complete_task completes the caller');
    assert.equal(text(await call('set_task_status', { task: '2', status: 'idle' })), '2:split-off is idle.');
    assert.deepEqual((await status()).map((t) => [t.ref, t.status]), [['1:caller', 'completed'], ['2:split-off', 'idle']]);
  });

  it('answers bad arguments and unknown tasks with tool errors, and keeps serving', async () => {
    const unknown = await call('get_task', { task: 'no-such-task' });
    assert.equal(unknown.isError, true);
    assert.match(text(unknown), /^There is no task 'no-such-task' in .*; 'orchestra status' lists the tasks\.$/);
    const badSlug = await call('create_task', { slug: 'Bad Slug!', description: 'x' });
    assert.equal(badSlug.isError, true);
    assert.match(text(badSlug), /slug/i);
    const badStatus = await call('set_task_status', { status: 'finished' });
    assert.equal(badStatus.isError, true);
    const notRunning = await call('read_task_screen', { task: 'caller' });
    assert.equal(notRunning.isError, true);
    assert.match(text(notRunning), /agent is not running; start it again with 'orchestra start 1'/);
    assert.match(text(await call('list_tasks')), /1:caller/, 'still serving');
  });
});
