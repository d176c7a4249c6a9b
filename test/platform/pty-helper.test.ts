import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensurePtyHelperExecutable, PtyHelperError, type PtyHelperContext } from '../../src/platform/pty-helper.js';

function context(platform: NodeJS.Platform, modes: Record<string, number>, chmodFails = false): PtyHelperContext & { changes: string[] } {
  const changes: string[] = [];
  return {
    platform,
    arch: 'arm64',
    ptyDir: '/n/node-pty',
    mode: (path) => modes[path],
    chmod: (path, mode) => {
      if (chmodFails) throw new Error('EPERM: operation not permitted');
      changes.push(`${path} ${mode.toString(8)}`);
      modes[path] = mode;
    },
    changes,
  };
}

describe("node-pty's spawn-helper (node-pty #850)", () => {
  it('macOS: the prebuilt helper shipped 0644 is made executable, once', () => {
    const c = context('darwin', { '/n/node-pty/prebuilds/darwin-arm64/spawn-helper': 0o100644 });
    assert.deepEqual(ensurePtyHelperExecutable(c), ['/n/node-pty/prebuilds/darwin-arm64/spawn-helper']);
    assert.deepEqual(c.changes, ['/n/node-pty/prebuilds/darwin-arm64/spawn-helper 755']);
    assert.deepEqual(ensurePtyHelperExecutable(c), [], 'executable now: nothing to do');
  });

  it('macOS: a helper built from source is looked at too; executable ones and missing ones are left alone', () => {
    const c = context('darwin', { '/n/node-pty/build/Release/spawn-helper': 0o100600, '/n/node-pty/prebuilds/darwin-arm64/spawn-helper': 0o100755 });
    assert.deepEqual(ensurePtyHelperExecutable(c), ['/n/node-pty/build/Release/spawn-helper']);
    assert.deepEqual(c.changes, ['/n/node-pty/build/Release/spawn-helper 755']);
  });

  it('macOS: one sentence with the command to run when the file may not be changed', () => {
    const c = context('darwin', { '/n/node-pty/prebuilds/darwin-arm64/spawn-helper': 0o100644 }, true);
    assert.throws(
      () => ensurePtyHelperExecutable(c),
      (e: Error) => e instanceof PtyHelperError && e.message.endsWith("run 'chmod +x /n/node-pty/prebuilds/darwin-arm64/spawn-helper' as its owner."),
    );
  });

  it('Linux: node-pty spawns without a helper; nothing is touched', () => {
    const c = context('linux', { '/n/node-pty/prebuilds/darwin-arm64/spawn-helper': 0o100644 });
    assert.deepEqual(ensurePtyHelperExecutable(c), []);
    assert.deepEqual(c.changes, []);
  });

  it('this install: the real node-pty is found and left ready', () => {
    assert.doesNotThrow(() => ensurePtyHelperExecutable());
  });
});
