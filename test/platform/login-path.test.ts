import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonPath, isMinimalPath, loginShell, loginShellPath } from '../../src/platform/login-path.js';

describe("the daemon's PATH", () => {
  it('knows a bare PATH: launchd (macOS apps), cron, none at all', () => {
    assert.equal(isMinimalPath('/usr/bin:/bin:/usr/sbin:/sbin'), true);
    assert.equal(isMinimalPath('/usr/bin:/bin'), true);
    assert.equal(isMinimalPath(undefined), true);
    assert.equal(isMinimalPath('/opt/homebrew/bin:/usr/bin:/bin'), false);
    assert.equal(isMinimalPath('/home/ann/.local/bin:/usr/bin'), false);
  });

  it("reads the login shell's PATH past whatever its start-up files print", () => {
    const runner = (file: string, args: string[]) => {
      assert.equal(file, '/bin/zsh');
      assert.deepEqual(args.slice(0, 2), ['-l', '-c']);
      return `Welcome back!\n__orchestra_login_path__/opt/homebrew/bin:/usr/bin:/bin`;
    };
    assert.equal(loginShellPath('/bin/zsh', runner), '/opt/homebrew/bin:/usr/bin:/bin');
    assert.equal(loginShellPath('/bin/zsh', () => undefined), undefined, 'a shell that failed or hung');
    assert.equal(loginShellPath('/bin/zsh', () => 'no marker'), undefined);
  });

  it('the login shell is $SHELL, else the account\'s, else /bin/sh', () => {
    assert.equal(loginShell({ SHELL: '/bin/fish' }, () => '/bin/zsh'), '/bin/fish');
    assert.equal(loginShell({}, () => '/bin/zsh'), '/bin/zsh');
    assert.equal(loginShell({}, () => undefined), '/bin/sh');
  });

  it('keeps a real PATH without asking the shell; replaces a bare one when the shell knows better', () => {
    const never = () => assert.fail('the shell is not asked');
    assert.equal(daemonPath({ PATH: '/opt/homebrew/bin:/usr/bin' }, never), '/opt/homebrew/bin:/usr/bin');
    assert.equal(daemonPath({ PATH: '/usr/bin:/bin', SHELL: '/bin/zsh' }, () => '__orchestra_login_path__/opt/homebrew/bin:/usr/bin:/bin'), '/opt/homebrew/bin:/usr/bin:/bin');
    assert.equal(daemonPath({ PATH: '/usr/bin:/bin', SHELL: '/bin/zsh' }, () => undefined), '/usr/bin:/bin');
  });
});
