import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { defaultRuntimeDir, ensurePrivateDir, scratchDir, MAX_SOCKET_PATH_BYTES, runtimeDir, UntrustedPathError, untrustedBecause, verifyPrivate, type RuntimeContext } from '../../src/platform/runtime-dir.js';

const linux: RuntimeContext = { platform: 'linux', uid: 1000, darwinUserTempDir: () => assert.fail('asked on Linux') };
const macTemp = '/var/folders/zz/zyxvpxvq6csfxvn_n0000000000000/T/';
const mac = (asked: string[] = []): RuntimeContext => ({ platform: 'darwin', uid: 501, darwinUserTempDir: () => (asked.push('getconf'), macTemp) });
const holderSocket = (dir: string) => join(dir, 'holders', '0123456789-1234567.sock');

describe('the runtime directory (DESIGN.md §2)', () => {
  it('Linux: $XDG_RUNTIME_DIR/orchestra, else /tmp/orchestra-<uid>', () => {
    assert.equal(defaultRuntimeDir({ XDG_RUNTIME_DIR: '/run/user/1000' }, linux), '/run/user/1000/orchestra');
    assert.equal(defaultRuntimeDir({}, linux), '/tmp/orchestra-1000');
  });

  it("macOS: the per-user temporary directory, never the shared /tmp; asked of the system when $TMPDIR is not it", () => {
    const asked: string[] = [];
    assert.equal(defaultRuntimeDir({ TMPDIR: macTemp }, mac(asked)), join(macTemp, 'orchestra'));
    assert.deepEqual(asked, [], '$TMPDIR is the per-user one: no process started');
    assert.equal(defaultRuntimeDir({ TMPDIR: '/tmp/build-xyz' }, mac(asked)), join(macTemp, 'orchestra'));
    assert.equal(defaultRuntimeDir({}, mac(asked)), join(macTemp, 'orchestra'));
    assert.deepEqual(asked, ['getconf', 'getconf']);
    assert.equal(defaultRuntimeDir({}, { ...mac(), darwinUserTempDir: () => undefined }), '/tmp/orchestra-501', 'the last resort, verified before use');
  });

  it('keeps $ORCHESTRA_HOME/run when sockets fit, and every socket below the runtime directory fits on both platforms', () => {
    assert.equal(runtimeDir({ ORCHESTRA_HOME: '/home/ann/.orch' }, linux), '/home/ann/.orch/run');
    for (const context of [linux, mac()]) {
      for (const env of [{}, { TMPDIR: macTemp }, { ORCHESTRA_HOME: `/Users/ann/${'deep/'.repeat(30)}` }, { XDG_RUNTIME_DIR: '/run/user/1000' }]) {
        const dir = runtimeDir(env, context);
        assert.ok(Buffer.byteLength(holderSocket(dir)) <= MAX_SOCKET_PATH_BYTES, `${holderSocket(dir)} fits`);
      }
    }
  });

  it('moves the sockets of a deep home to a short directory named after it, the same for every client', () => {
    const home = `/Users/ann/${'deep/'.repeat(30)}`;
    const onMac = runtimeDir({ ORCHESTRA_HOME: home, TMPDIR: macTemp }, mac());
    assert.match(onMac, /^\/var\/folders\/zz\/zyxvpxvq6csfxvn_n0000000000000\/T\/orchestra-501-[0-9a-f]{8}$/);
    assert.equal(runtimeDir({ ORCHESTRA_HOME: home, TMPDIR: macTemp }, mac()), onMac);
    assert.notEqual(runtimeDir({ ORCHESTRA_HOME: `${home}x`, TMPDIR: macTemp }, mac()), onMac, 'another home, other sockets');
    assert.match(runtimeDir({ ORCHESTRA_HOME: home }, linux), /^\/tmp\/orchestra-1000-[0-9a-f]{8}$/);
    // A runtime directory too deep for anything beside it: /tmp, verified before use.
    assert.match(runtimeDir({ ORCHESTRA_HOME: home, XDG_RUNTIME_DIR: `/run/${'x'.repeat(90)}` }, linux), /^\/tmp\/orchestra-1000-[0-9a-f]{8}$/);
  });

  it('scratch directories: /tmp on macOS, whose $TMPDIR is deep; the usual one elsewhere', () => {
    assert.equal(scratchDir('darwin'), '/tmp');
    assert.equal(scratchDir('linux'), tmpdir());
  });

  describe('trust', () => {
    const root = mkdtempSync(join(scratchDir(), 'orch-rt-'));
    after(() => rmSync(root, { recursive: true, force: true }));
    const uid = process.getuid!();

    it('makes a missing directory 0700 and accepts it', () => {
      const dir = join(root, 'made', 'run');
      ensurePrivateDir(dir);
      assert.equal(lstatSync(dir).mode & 0o777, 0o700);
      assert.equal(verifyPrivate(dir, 'directory'), true);
      assert.equal(verifyPrivate(join(root, 'missing'), 'directory'), false);
    });

    it('refuses a symlink, a directory others may enter, another user\'s, and a socket path that is no socket', () => {
      const real = join(root, 'real');
      mkdirSync(real, { mode: 0o700 });
      const link = join(root, 'link');
      symlinkSync(real, link);
      assert.throws(() => ensurePrivateDir(link), (e: Error) => e instanceof UntrustedPathError && e.message.includes(`${link} is a symbolic link`));
      const open = join(root, 'open');
      mkdirSync(open);
      chmodSync(open, 0o755);
      assert.throws(() => verifyPrivate(open, 'directory'), /can be entered by other users \(mode 755, not 700\)/);
      assert.equal(untrustedBecause(lstatSync(real), 'directory', uid + 1), `belongs to another user (uid ${uid})`);
      assert.equal(untrustedBecause(lstatSync(real), 'socket', uid), 'is not a socket');
      assert.equal(untrustedBecause(lstatSync(real), 'directory', uid), undefined);
    });
  });
});
