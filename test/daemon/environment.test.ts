import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonEnvironment } from '../../src/daemon/environment.js';

describe("the daemon's environment", () => {
  it("drops the variables that describe a task and keeps Orchestra's own settings and everything else", () => {
    const env = daemonEnvironment(
      {
        HOME: '/home/ann',
        ANTHROPIC_API_KEY: 'k',
        ORCHESTRA_HOME: '/h',
        ORCHESTRA_DEBUG: '1',
        ORCHESTRA_SYSTEMD_SCOPE: '0',
        ORCHESTRA_DAEMON_IDLE_MS: '100',
        ORCHESTRA_TASK_ID: '4',
        ORCHESTRA_PROJECT_ROOT: '/src/app',
        ORCHESTRA_SOCKET: '/run/o/daemon.sock',
        ORCHESTRA_WORKTREE: '/wt',
        PATH: '/opt/homebrew/bin:/usr/bin',
      },
      (clean) => clean.PATH,
    );
    assert.deepEqual(env, { HOME: '/home/ann', ANTHROPIC_API_KEY: 'k', ORCHESTRA_HOME: '/h', ORCHESTRA_DEBUG: '1', ORCHESTRA_SYSTEMD_SCOPE: '0', ORCHESTRA_DAEMON_IDLE_MS: '100', PATH: '/opt/homebrew/bin:/usr/bin' });
  });

  it('takes the PATH its finder gives (the login shell\'s for a bare one)', () => {
    assert.equal(daemonEnvironment({ PATH: '/usr/bin:/bin' }, () => '/opt/homebrew/bin:/usr/bin:/bin').PATH, '/opt/homebrew/bin:/usr/bin:/bin');
    assert.equal(daemonEnvironment({ PATH: '/usr/bin:/bin' }, () => undefined).PATH, '/usr/bin:/bin');
  });
});
