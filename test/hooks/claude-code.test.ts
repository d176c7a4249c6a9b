import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeAnthropic } from '../helpers/fake-model.js';
import { claudeEnv, claudeHome } from '../helpers/real-agents.js';
import { git, Sandbox } from '../helpers/sandbox.js';
import { followsAgentTurns } from './agent-turns.js';

describe("the real Claude Code's status, from the hooks Orchestra gives it", () => {
  const sandbox = new Sandbox();
  const model = new FakeAnthropic('', '');
  let url: string;
  let repo: string;
  let home: string;

  before(async () => {
    url = await model.listen();
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: claude\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config');
    // The user trusted the main checkout, not the worktrees (which are new).
    home = claudeHome(sandbox, 'claude-home', [realpathSync(repo)]);
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('is running while the model streams, idle after its reply, idle-waiting on a permission, running again when prompted', async () => {
    await followsAgentTurns(sandbox, repo, model, claudeEnv(sandbox, url, home), { tool: 'Bash', answer: ['1'] });
    // The trust of the main checkout was carried over to the worktree, where Claude Code keeps it.
    const worktree = JSON.parse(await sandbox.ok(['show', 'turns', '--json'], { cwd: repo })).worktree;
    const projects = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')).projects;
    assert.equal(projects[realpathSync(worktree)]?.hasTrustDialogAccepted, true);
    assert.match(await sandbox.ok(['logs', 'turns'], { cwd: repo }), /marked the worktree trusted for Claude Code in .*\.claude\.json/);
  });

  it('shows a task whose folder is not trusted as waiting, until someone answers', async () => {
    const other = sandbox.repo('untrusted');
    await sandbox.ok(['new', 'asks', '-m', 'Say hello.', '--agent', 'claude'], { cwd: other });
    await sandbox.ok(['start', 'asks'], { cwd: other, env: claudeEnv(sandbox, url, home) });
    const show = async () => JSON.parse(await sandbox.ok(['show', 'asks', '--json'], { cwd: other }));
    await waitForTask(show, (t) => t.status === 'idle' && t.waiting === 'an answer to whether to trust the folder');
    await sandbox.ok(['send', 'asks', '1', '--enter'], { cwd: other });
    await waitForTask(show, (t) => t.status === 'idle' && t.waiting === null && model.saw('Say hello.'));
    await sandbox.ok(['stop', 'asks'], { cwd: other });
  });

  it('takes a long prompt of many lines from send --enter as one prompt, and submits it', async () => {
    model.follow(() => ({ text: 'Noted.' }));
    await sandbox.ok(['new', 'lines', '-m', 'Say hello.'], { cwd: repo });
    await sandbox.ok(['start', 'lines'], { cwd: repo, env: claudeEnv(sandbox, url, home) });
    const show = async () => JSON.parse(await sandbox.ok(['show', 'lines', '--json'], { cwd: repo }));
    await waitForTask(show, (t) => t.status === 'idle' && model.saw('Say hello.') && model.streaming === 0);
    // Long enough for Claude Code to count it as a paste: an Enter in the same read was a newline in its box.
    const prompt = Array.from({ length: 20 }, (_, i) => `Line ${i + 1} of a long prompt, as one pastes a plan or a stack trace.`).join('\n');
    await sandbox.ok(['send', 'lines', prompt, '--enter'], { cwd: repo });
    await waitForTask(show, () => model.saw(JSON.stringify(prompt).slice(1, -1))).catch(async (error: Error) => {
      throw new Error(`${error.message}; the agent's screen:\n${await sandbox.ok(['peek', 'lines'], { cwd: repo })}`);
    });
    await sandbox.ok(['stop', 'lines'], { cwd: repo });
  });
});

async function waitForTask(show: () => Promise<{ status: string; waiting: string | null }>, condition: (task: { status: string; waiting: string | null }) => boolean): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last: unknown;
  while (Date.now() < deadline) {
    last = await show();
    if (condition(last as { status: string; waiting: string | null })) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out; the task is ${JSON.stringify(last)}`);
}
