import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeOpenAI } from '../helpers/fake-model.js';
import { git, Sandbox } from '../helpers/sandbox.js';
import { opencodeEnv } from '../helpers/real-agents.js';
import { agentCompletesItsTask } from './agent-completes.js';

describe('the real OpenCode with the MCP server Orchestra gives it', () => {
  const sandbox = new Sandbox();
  const model = new FakeOpenAI('orchestra_complete_task', 'Marked the task completed.');
  let repo: string;
  let env: Record<string, string>;

  before(async () => {
    const url = await model.listen();
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: opencode\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config');
    // The user's own OpenCode config content (a custom provider): Orchestra adds its MCP server to it.
    env = opencodeEnv(sandbox, url, 'opencode-home');
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('completes its own task through the complete_task tool', () => agentCompletesItsTask(sandbox, repo, env, model, 'Marked the task completed.'));
});
