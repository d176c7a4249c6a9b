import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { agentInvocation, agentProfile, taskPrompt } from '../../src/core/agent-profile.js';
import { DEFAULT_CONFIG } from '../../src/core/config.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('agent profiles', () => {
  const dir = mkdtempSync(join(scratchDir(), 'orch-agents-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  it('never runs a task description as shell code, however the command quotes its placeholder', () => {
    const hostile = `it's "$(touch ${dir}/pwned)" and \`touch ${dir}/pwned2\` \\ done`;
    const values = { prompt: hostile, prompt_file: '/p', task_id: '3', slug: 's', worktree: dir };
    for (const command of ['printf %s "{prompt}"', "printf %s '{prompt}'", 'printf %s {prompt}', 'printf %s x{prompt}y']) {
      const config = { ...DEFAULT_CONFIG, agents: { custom: { command } } };
      const run = agentInvocation(agentProfile('custom', config), values, false, env);
      const out = execFileSync(run.argv[0]!, run.argv.slice(1), { env: { ...env, ...run.env }, encoding: 'utf8' });
      assert.equal(out, command.includes('x{') ? `x${hostile}y` : hostile, command);
    }
    assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(dir, 'pwned2')));
  });

  it('passes placeholders of a list command as whole words, and resumes where the profile can', () => {
    const values = { prompt: 'two words', prompt_file: '/p.md', task_id: '3', slug: 's', worktree: dir };
    const config = { ...DEFAULT_CONFIG, agents: { aider: { command: ['sh', '--message-file', '{prompt_file}', '{prompt}'], resume: ['sh', '-c', 'true'] } } };
    assert.deepEqual(agentInvocation(agentProfile('aider', config), values, false, env).argv, ['sh', '--message-file', '/p.md', 'two words']);
    const resumed = agentInvocation(agentProfile('aider', config), values, true, env);
    assert.deepEqual([resumed.argv, resumed.resumed], [['sh', '-c', 'true'], true]);
    const noResume = { ...DEFAULT_CONFIG, agents: { plain: { command: ['sh'] } } };
    assert.equal(agentInvocation(agentProfile('plain', noResume), values, true, env).resumed, false, 'a profile without resume starts afresh');
  });

  it("gives Claude Code and OpenCode Orchestra's MCP server, scoped to the task, unless the profile says mcp: false", () => {
    const values = { prompt: 'the prompt', prompt_file: '/p.md', task_id: '3', slug: 's', worktree: dir };
    const theirs = { model: 'local/model', mcp: { theirs: { type: 'local', command: ['their-server'] } } };
    const scoped = { ...env, ORCHESTRA_HOME: '/home/o', ORCHESTRA_PROJECT_ROOT: '/repo', ORCHESTRA_TASK_ID: '3', OPENCODE_CONFIG_CONTENT: JSON.stringify(theirs) };
    const scope = { ORCHESTRA_HOME: '/home/o', ORCHESTRA_PROJECT_ROOT: '/repo', ORCHESTRA_TASK_ID: '3' };
    // The programs themselves need not be installed for this: each profile's command is `sh`.
    const config = (extra: object = {}) => ({ ...DEFAULT_CONFIG, agents: { claude: { command: ['sh', '{prompt}'], ...extra }, opencode: { command: ['sh', '--prompt', '{prompt}'], ...extra } } });

    const claude = agentInvocation(agentProfile('claude', config()), values, false, scoped);
    // After the prompt: Claude Code's list options would take a prompt after them as one more value.
    assert.deepEqual([claude.argv[0], claude.argv[1], claude.argv[2], claude.argv[4], ...claude.argv.slice(6)], ['sh', 'the prompt', '--settings', '--mcp-config', '--allowedTools', 'mcp__orchestra__*']);
    const server = JSON.parse(claude.argv[5]!).mcpServers.orchestra;
    assert.deepEqual([server.type, server.command, server.env], ['stdio', process.execPath, scope]);
    // The command in the config is a working `orchestra mcp`.
    assert.match(execFileSync(server.command, [...server.args, '--help'], { encoding: 'utf8' }), /\$ orchestra mcp\n\nMCP server on stdio/);

    const opencode = agentInvocation(agentProfile('opencode', config()), values, false, scoped);
    assert.deepEqual(opencode.argv, ['sh', '--prompt', 'the prompt']);
    const content = JSON.parse(opencode.env.OPENCODE_CONFIG_CONTENT!);
    assert.equal(content.model, 'local/model', "the user's own config content is kept");
    assert.deepEqual(content.mcp.theirs, theirs.mcp.theirs);
    assert.deepEqual(content.mcp.orchestra, { type: 'local', command: [process.execPath, server.args[0], 'mcp'], environment: scope, enabled: true });

    const off = config({ mcp: false });
    assert.deepEqual(agentInvocation(agentProfile('claude', off), values, false, scoped).argv.slice(0, 3), ['sh', 'the prompt', '--settings']);
    assert.equal(agentInvocation(agentProfile('claude', off), values, false, scoped).argv.length, 4);
    assert.deepEqual(JSON.parse(agentInvocation(agentProfile('opencode', off), values, false, scoped).env.OPENCODE_CONFIG_CONTENT!).mcp, theirs.mcp, 'no MCP server added');
  });

  it('makes Claude Code and OpenCode report what they do to `orchestra hook`, without touching the user\'s settings', () => {
    const values = { prompt: 'p', prompt_file: '/p.md', task_id: '3', slug: 's', worktree: dir };
    const config = { ...DEFAULT_CONFIG, agents: { claude: { command: ['sh', '{prompt}'] }, opencode: { command: ['sh'] }, mine: { command: ['sh'] }, shell: { command: 'claude "{prompt}"' } } };
    // Claude Code: hooks passed with --settings, each a shell command that runs `orchestra hook <event>`.
    const claude = agentInvocation(agentProfile('claude', config), values, false, env).argv;
    const hooks = JSON.parse(claude[claude.indexOf('--settings') + 1]!).hooks as Record<string, { hooks: { type: string; command: string }[] }[]>;
    assert.deepEqual(Object.keys(hooks), ['UserPromptSubmit', 'PreToolUse', 'PostToolUse', 'PostToolUseFailure', 'PermissionDenied', 'Stop', 'SubagentStart', 'SubagentStop', 'PermissionRequest', 'Notification']);
    const stop = hooks.Stop![0]!.hooks[0]!;
    assert.equal(stop.type, 'command');
    assert.match(stop.command, / hook Stop$/);
    assert.match(execFileSync('/bin/sh', ['-c', stop.command.replace(/ Stop$/, ' --help')], { encoding: 'utf8' }), /\$ orchestra hook <event>/);
    // OpenCode: Orchestra's plugin added to the user's own list, and how to run `orchestra hook`.
    const theirs = { plugin: ['their-plugin'] };
    const opencode = agentInvocation(agentProfile('opencode', config), values, false, { ...env, OPENCODE_CONFIG_CONTENT: JSON.stringify(theirs) }).env;
    const plugins = JSON.parse(opencode.OPENCODE_CONFIG_CONTENT!).plugin as string[];
    assert.equal(plugins[0], 'their-plugin');
    assert.ok(existsSync(fileURLToPath(plugins[1]!)), `the plugin ${plugins[1]} is there`);
    // Others report through their screen only.
    assert.equal(agentProfile('mine', config).reports, false);
    assert.equal(agentProfile('shell', config).reports, false, "a shell-string command is the user's own");
    assert.equal(agentProfile('claude', config).reports, true);
  });

  it('tells the agent its task and how to finish it, before the description', () => {
    const prompt = taskPrompt({ id: 3, slug: 'fix-tests', description: 'Make the tests pass.\n' }, 'orchestra/3-fix-tests');
    assert.match(prompt, /^You are working on Orchestra task 3:fix-tests, .* branch orchestra\/3-fix-tests\.\n.*`orchestra complete 3`.*\n\nMake the tests pass\.\n$/);
  });
});
