import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeOpenAI } from '../helpers/fake-model.js';
import { git, Sandbox } from '../helpers/sandbox.js';
import { AGENT_BIN, agentCompletesItsTask } from './agent-completes.js';

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
    const home = join(sandbox.root, 'opencode-home');
    mkdirSync(home);
    // The user's own OpenCode config content (a custom provider): Orchestra adds its MCP server to it.
    const config = {
      model: 'fake/m',
      small_model: 'fake/m',
      autoupdate: false,
      share: 'disabled',
      provider: { fake: { npm: '@ai-sdk/openai-compatible', name: 'Fake', options: { baseURL: url, apiKey: 'fake' }, models: { m: { name: 'M', tool_call: true } } } },
    };
    env = { ...(sandbox.env as Record<string, string>), PATH: `${AGENT_BIN}:${process.env.PATH}`, HOME: home, OPENCODE_CONFIG_CONTENT: JSON.stringify(config) };
    for (const name of ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_CACHE_HOME', 'XDG_STATE_HOME']) delete env[name];
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('completes its own task through the complete_task tool', () => agentCompletesItsTask(sandbox, repo, env, model, 'Marked the task completed.'));
});
