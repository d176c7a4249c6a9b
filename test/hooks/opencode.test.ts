import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeOpenAI } from '../helpers/fake-model.js';
import { opencodeEnv } from '../helpers/real-agents.js';
import { git, Sandbox } from '../helpers/sandbox.js';
import { followsAgentTurns } from './agent-turns.js';

describe("the real OpenCode's status, from the plugin Orchestra gives it", () => {
  const sandbox = new Sandbox();
  const model = new FakeOpenAI('', '');
  let url: string;
  let repo: string;

  before(async () => {
    url = await model.listen();
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: opencode\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config');
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('is running while the model streams, idle after its reply, idle-waiting on a permission, running again when prompted', async () => {
    // A machine where OpenCode never ran and no npm registry answers: OpenCode must not stall
    // installing plugin dependencies. The user's config asks before every shell command.
    const env = opencodeEnv(sandbox, url, 'opencode-home', { fresh: true, config: { permission: { bash: 'ask' } } });
    await followsAgentTurns(sandbox, repo, model, env, { tool: 'bash', answer: ['\r'], asked: 'permission to use bash: echo hi > out.txt' });
  });
});
