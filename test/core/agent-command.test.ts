import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentInvocation, agentProfile } from '../../src/core/agent-profile.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';

describe("an agent's command as logs show it", () => {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  const prompt = 'Fix the login page; the key is in $API_KEY';
  const values = { prompt, prompt_file: '/state/prompt.md', task_id: '3', slug: 's', worktree: '/w' };
  const invocation = (command: string[] | string) => agentInvocation(agentProfile('custom', { ...DEFAULT_CONFIG, agents: { custom: { command } } }), values, false, env);

  it('is the command with the prompt replaced by its length, wherever the placeholder stands in a word', () => {
    const run = invocation(['sh', '--file', '{prompt_file}', '--prompt={prompt}', '{prompt}']);
    assert.deepEqual(run.argv, ['sh', '--file', '/state/prompt.md', `--prompt=${prompt}`, prompt]);
    assert.deepEqual(run.shown, ['sh', '--file', '/state/prompt.md', `--prompt=<prompt: ${prompt.length} chars>`, `<prompt: ${prompt.length} chars>`]);
  });

  it('is the command itself when it is a shell string, which reads the prompt from the environment', () => {
    const run = invocation('sh -c "echo {prompt}"');
    assert.deepEqual(run.shown, run.argv);
    assert.ok(!run.shown.join(' ').includes(prompt));
  });

  it("includes what a built-in profile adds after the prompt, as the agent gets it", () => {
    const claude = agentInvocation(agentProfile('claude', { ...DEFAULT_CONFIG, agents: { claude: { command: ['sh', '{prompt}'] } } }), values, false, env);
    assert.ok(!claude.shown.join(' ').includes(prompt));
    assert.deepEqual(claude.shown.slice(1), [`<prompt: ${prompt.length} chars>`, ...claude.argv.slice(2)]);
  });
});
