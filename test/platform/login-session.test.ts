import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { holderCommand, loginSessionContext, usesSystemdScope, type LoginSessionContext } from '../../src/platform/login-session.js';
import { Sandbox } from '../helpers/sandbox.js';

const argv = ['/usr/bin/node', 'holder/main.js', 'spec.json'];
const withSystemd = (env: NodeJS.ProcessEnv = { XDG_RUNTIME_DIR: '/run/user/1000' }, platform: NodeJS.Platform = 'linux'): LoginSessionContext => ({
  platform,
  env,
  user: 'ann',
  exists: (path) => ['/run/user/1000/systemd/private', '/usr/bin/systemd-run', '/var/lib/systemd/linger/ann'].includes(path),
});

describe('holders leave the login session (DESIGN.md §7.15)', () => {
  it('Linux with a systemd user manager that lingers: the holder runs in a scope of its own, same process', () => {
    assert.deepEqual(holderCommand(argv, 'orchestra-holder-k-1', withSystemd()), [
      '/usr/bin/systemd-run',
      '--user',
      '--scope',
      '--quiet',
      '--collect',
      '--unit=orchestra-holder-k-1',
      '--',
      ...argv,
    ]);
  });

  it('Linux without one (no XDG_RUNTIME_DIR, no manager listening, no systemd-run): the holder starts as it is', () => {
    assert.deepEqual(holderCommand(argv, 'u', withSystemd({})), argv);
    assert.deepEqual(holderCommand(argv, 'u', { ...withSystemd(), exists: (path) => path === '/usr/bin/systemd-run' }), argv);
    assert.deepEqual(holderCommand(argv, 'u', { ...withSystemd(), exists: (path) => path === '/run/user/1000/systemd/private' }), argv);
  });

  it("Linux without lingering: the manager stops at logout, taking its scopes along, so the holder stays where it was started", () => {
    const context = withSystemd();
    assert.deepEqual(holderCommand(argv, 'u', { ...context, exists: (path) => path !== '/var/lib/systemd/linger/ann' && context.exists(path) }), argv);
  });

  it('ORCHESTRA_SYSTEMD_SCOPE=0 turns it off', () => {
    for (const value of ['0', 'false', 'off']) assert.equal(usesSystemdScope(withSystemd({ XDG_RUNTIME_DIR: '/run/user/1000', ORCHESTRA_SYSTEMD_SCOPE: value })), false);
    assert.equal(usesSystemdScope(withSystemd({ XDG_RUNTIME_DIR: '/run/user/1000', ORCHESTRA_SYSTEMD_SCOPE: '1' })), true);
  });

  it('macOS: no logind; the holder starts as it is', () => {
    assert.deepEqual(holderCommand(argv, 'u', withSystemd(undefined, 'darwin')), argv);
  });
});

describe('holders on this machine', () => {
  it('Linux: a holder lands in a scope of its own where systemd runs the user session, and where it does not, in the cgroup it was started from', { skip: process.platform !== 'linux' && 'cgroups are Linux' }, async () => {
    const sandbox = new Sandbox();
    try {
      const repo = sandbox.repo();
      mkdirSync(join(repo, '.orchestra'));
      writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
      await sandbox.ok(['new', 'scoped', '-m', 'Where does my holder live?'], { cwd: repo });
      await sandbox.ok(['start', '1'], { cwd: repo });
      const [holder] = sandbox.holders();
      const cgroup = readFileSync(`/proc/${holder!.pid}/cgroup`, 'utf8');
      if (usesSystemdScope(loginSessionContext(sandbox.env))) {
        assert.match(cgroup, /\/orchestra-holder-[^/]+\.scope$/m, 'in its own scope');
        assert.doesNotMatch(cgroup, /\/session-[^/]+\.scope/, 'outside the login session');
      } else {
        assert.equal(cgroup, readFileSync('/proc/self/cgroup', 'utf8'), 'no systemd user manager here: where it was started');
      }
      await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
    } finally {
      await sandbox.cleanup();
    }
  });
});
