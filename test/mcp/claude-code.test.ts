import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeAnthropic } from '../helpers/fake-model.js';
import { git, Sandbox } from '../helpers/sandbox.js';
import { claudeEnv, claudeHome } from '../helpers/real-agents.js';
import { agentCompletesItsTask } from './agent-completes.js';

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
    env = claudeEnv(sandbox, url, claudeHome(sandbox, 'claude-home', [`${worktrees}/1-finish`]));
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('completes its own task through the complete_task tool, with no permission prompt', () => agentCompletesItsTask(sandbox, repo, env, model, 'Marked the task completed.'));
});
