import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { prepareOpenCode } from '../../src/core/agents/opencode-deps.js';
import { installedOpenCodeDependencies } from '../helpers/real-agents.js';
import { scratchDir } from '../../src/platform/runtime-dir.js';

describe("OpenCode's plugin dependencies, which it would stop to install", () => {
  const dir = mkdtempSync(join(scratchDir(), 'orch-ocdeps-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("shares the main checkout's with a new worktree's .opencode, and tells npm not to retry where some are missing", () => {
    const root = join(dir, 'root');
    const worktree = join(dir, 'wt');
    const home = join(dir, 'home');
    mkdirSync(join(worktree, '.opencode'), { recursive: true });
    mkdirSync(home);
    const env = { HOME: home };

    // A machine where OpenCode never ran, a repository whose .opencode never got them.
    const fresh = prepareOpenCode(root, worktree, env);
    assert.deepEqual(fresh.env, { npm_config_fetch_retries: '0' });
    assert.match(fresh.lines[0]!, new RegExp(`into ${home}/.config/opencode, ${worktree}/.opencode; npm_config_fetch_retries=0`));
    assert.deepEqual(prepareOpenCode(root, worktree, { ...env, npm_config_fetch_retries: '2' }).env, {}, 'the user\'s own setting stands');

    // OpenCode has run, in the home and in the main checkout.
    installedOpenCodeDependencies(join(home, '.config', 'opencode'));
    installedOpenCodeDependencies(join(root, '.opencode'));
    writeFileSync(join(root, '.opencode', '.gitignore'), 'node_modules\npackage.json\npackage-lock.json\n.gitignore\n');
    const ready = prepareOpenCode(root, worktree, env);
    assert.deepEqual(ready, { lines: [`shared OpenCode's plugin dependencies of ${root}/.opencode with the worktree's .opencode`], env: {} });
    assert.equal(readlinkSync(join(worktree, '.opencode', 'node_modules')), join(root, '.opencode', 'node_modules'));
    for (const file of ['package.json', 'package-lock.json', '.gitignore']) assert.ok(existsSync(join(worktree, '.opencode', file)), file);
    assert.deepEqual(prepareOpenCode(root, worktree, env), { lines: [], env: {} }, 'once is enough');

    // A dependency the lock does not list yet: OpenCode would install.
    writeFileSync(join(home, '.config', 'opencode', 'package.json'), JSON.stringify({ dependencies: { '@opencode-ai/plugin': '1', 'left-pad': '1' } }));
    assert.deepEqual(prepareOpenCode(root, worktree, env).env, { npm_config_fetch_retries: '0' });
  });
});
