import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { FakeAnthropic } from '../helpers/fake-anthropic.js';
import { git, Sandbox, waitFor } from '../helpers/sandbox.js';

/** The real @anthropic-ai/claude-code from devDependencies, found on PATH as `claude` by the built-in profile. */
const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '.bin');

describe('the real Claude Code with the MCP server Orchestra gives it', () => {
  const sandbox = new Sandbox();
  const model = new FakeAnthropic('mcp__orchestra__complete_task', 'Marked the task completed.');
  let repo: string;
  let env: Record<string, string>;

  before(async () => {
    const url = await model.listen();
    repo = sandbox.repo();
    const worktrees = join(sandbox.root, 'wt');
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: claude\nworktree_dir: ${worktrees}/{id}-{slug}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config');
    // Its own HOME: onboarding done, and the task's worktree trusted (DESIGN.md §8).
    const home = join(sandbox.root, 'claude-home');
    mkdirSync(home);
    writeFileSync(join(home, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, projects: { [`${worktrees}/1-finish`]: { hasTrustDialogAccepted: true } } }));
    env = {
      ...(sandbox.env as Record<string, string>),
      PATH: `${BIN}:${process.env.PATH}`,
      HOME: home,
      ANTHROPIC_BASE_URL: url,
      ANTHROPIC_AUTH_TOKEN: 'fake',
      ENABLE_TOOL_SEARCH: 'false',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    };
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('completes its own task through the complete_task tool, with no permission prompt', async () => {
    await sandbox.ok(['new', 'finish', '-m', 'Mark this task completed.'], { cwd: repo });
    await sandbox.ok(['start', 'finish'], { cwd: repo, env });
    const status = async () => JSON.parse(await sandbox.ok(['show', 'finish', '--json'], { cwd: repo })).status;
    try {
      await waitFor(async () => (await status()) === 'completed', 'the task to be completed by the agent', 90_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the agent's screen:\n${await sandbox.ok(['peek', 'finish'], { cwd: repo }).catch(() => '')}`);
    }
    assert.ok(model.saw('Mark this task completed.'), "the task's description was the first prompt");
    await waitFor(async () => (await sandbox.ok(['peek', 'finish'], { cwd: repo })).includes('Marked the task completed.'), 'the reply after the tool result');
    await sandbox.ok(['stop', 'finish'], { cwd: repo });
  });
});
