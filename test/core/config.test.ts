import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { agentNames, CONFIG_TEMPLATE, DEFAULT_CONFIG, loadConfig } from '../../src/core/config.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe('config', () => {
  let dir: string;
  let project: string;
  let user: string;

  before(() => {
    dir = mkdtempSync(join(scratchDir(), 'orch-config-'));
    project = join(dir, 'project');
    user = join(dir, 'user');
    mkdirSync(join(project, '.orchestra'), { recursive: true });
    mkdirSync(user, { recursive: true });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (which: 'project' | 'user', text: string) =>
    writeFileSync(which === 'project' ? join(project, '.orchestra', 'config.yaml') : join(user, 'config.yaml'), text);

  it('uses the defaults without any file', () => {
    assert.deepEqual(loadConfig(project, user), DEFAULT_CONFIG);
  });

  it('the commented template changes nothing', () => {
    write('project', CONFIG_TEMPLATE);
    assert.deepEqual(loadConfig(project, user), DEFAULT_CONFIG);
    assert.equal(YAML.parse(CONFIG_TEMPLATE), null);
  });

  it('puts the project over the user over the defaults, profile by profile', () => {
    write('user', 'agent: claude\nsetup: { timeout: 30 }\nagents:\n  aider:\n    command: [aider]\n    env: { A: "1", B: "1" }\n');
    write('project', 'detach_key: ctrl-]\nagents:\n  aider:\n    env: { B: "2" }\n    idle_after: 5\n');
    const config = loadConfig(project, user);
    assert.equal(config.agent, 'claude');
    assert.equal(config.detach_key, 'ctrl-]');
    assert.deepEqual(config.setup, { script: '.orchestra/setup.sh', timeout: 30 });
    assert.deepEqual(config.agents.aider, { command: ['aider'], env: { A: '1', B: '2' }, idle_after: 5 });
    assert.deepEqual(agentNames(config), ['opencode', 'claude', 'demo', 'aider']);
  });

  it('names the file and the key of a mistake', () => {
    write('user', '');
    const file = join(project, '.orchestra', 'config.yaml');
    const cases: Array<[string, RegExp]> = [
      ['agnet: claude\n', /config\.yaml: has unknown key 'agnet'/],
      ['setup:\n  timeout: soon\n', /config\.yaml: setup\.timeout must be a number of seconds\./],
      ['agents:\n  aider:\n    command: []\n', /agents\.aider\.command must not be empty/],
      ['agents:\n  aider:\n    commnd: [aider]\n', /agents\.aider has unknown key 'commnd'/],
      ['agents:\n  aider:\n    env: { A: 1 }\n', /agents\.aider\.env\.A must be text/],
      ['agents:\n  aider:\n    idle_after: 3\n', /Agent profile 'aider' has no command/],
      ['agent: [oops\n', /config\.yaml is not valid YAML at line 2: Flow sequence in block collection must be sufficiently indented and end with a \]\.$/],
      ['- a list\n', /config\.yaml: must be a mapping of key: value/],
    ];
    for (const [text, expected] of cases) {
      write('project', text);
      assert.throws(() => loadConfig(project, user), (e: Error) => e.message.startsWith(file) || /Agent profile/.test(e.message) ? expected.test(e.message) : false, text);
    }
  });

  it('lets config adjust a built-in profile without a command', () => {
    write('project', 'agents:\n  opencode:\n    env: { X: "1" }\n');
    assert.deepEqual(loadConfig(project, user).agents.opencode, { env: { X: '1' } });
  });
});
