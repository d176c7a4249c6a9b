import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { userDirs } from '../../src/core/paths.js';
import { CLI, Sandbox } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

describe('an ORCHESTRA_HOME too deep for a socket address', () => {
  // $ORCHESTRA_HOME/run/holders/<key>.sock would be well past the 104 bytes macOS allows.
  const sandbox = new Sandbox({ home: `${'a-home-deep-in-a-tree-of-folders/'.repeat(4)}orchestra` });
  after(() => sandbox.cleanup());

  it('runs agents, and attach works', async () => {
    const naive = join(sandbox.home, 'run', 'holders', '0123456789-1.sock');
    assert.ok(Buffer.byteLength(naive) > 104, `${naive} is too long for a socket`);
    const repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    await sandbox.ok(['new', 'deep', '-m', 'Works from a deep home'], { cwd: repo });
    await sandbox.ok(['start', '1'], { cwd: repo });

    const runtime = userDirs(sandbox.env).runtime;
    assert.ok(!runtime.startsWith(sandbox.home), `the sockets moved out of the home: ${runtime}`);
    const sockets = readdirSync(join(runtime, 'holders')).filter((name) => name.endsWith('.sock'));
    assert.equal(sockets.length, 1);
    assert.ok(Buffer.byteLength(join(runtime, 'holders', sockets[0]!)) <= 103);

    const terminal = new TestTerminal(process.execPath, [CLI, 'attach', '1'], { cwd: repo, env: sandbox.env });
    try {
      await terminal.waitFor('Question: what should the file');
      terminal.write('typed through the short socket\r');
      await terminal.waitFor('Added "typed through the short socket"');
      terminal.write('\x1c');
      assert.equal(await terminal.waitExit(), 0);
    } finally {
      terminal.kill();
    }
    assert.match(terminal.transcript, /\[detached from 1:deep\]/);
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
  });
});
