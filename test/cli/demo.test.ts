import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, git, Sandbox } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

describe('orchestra demo', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('walks a newcomer through new, start, status, peek, attach and detach with the demo agent', async () => {
    const terminal = new TestTerminal(process.execPath, [CLI, 'demo'], { cwd: sandbox.root, env: { ...sandbox.env, TMPDIR: sandbox.root }, rows: 40 });
    try {
      await terminal.waitFor('Press Enter to attach to task 1');
      const before = terminal.screen();
      // Both agents have asked their questions, and status says they wait for answers.
      assert.match(before, /\$ orchestra status\nidle \(2\)\n {2}1 {2}greet {2}demo {2}● \? .*waits for an answer to its question\n {2}2 {2}notes/);
      assert.match(before, /\$ orchestra peek 2\nDemo agent · task 2:notes/);
      // Keys typed right after the Enter, before attach has drawn anything, must reach the agent.
      terminal.write('\rHello');
      await terminal.waitFor('Demo agent · task 1:greet');
      await terminal.waitFor(/Question: what should the file's last line say\? > Hello/);
      terminal.write(', world\r');
      await terminal.waitFor('Added "Hello, world"');
      terminal.write('\x1c');
      await terminal.waitFor('Clean up:');
      const after = terminal.screen();
      assert.match(after, /\[detached from 1:greet\]/);
      // The status after the detach is true: nobody watches task 1 any more, and it has its answer.
      const last = after.slice(after.lastIndexOf('$ orchestra status'));
      assert.match(last, /\n {2}1 {2}greet {2}demo {2}● {4}main .*Write a greeting for the README\.\n/);
      assert.match(last, /\n {2}2 {2}notes {2}demo {2}● \? {2}main .*waits for an answer to its question\n/);
      assert.equal(await terminal.waitExit(), 0);
    } finally {
      terminal.kill();
    }
    const demo = readdirSync(sandbox.root).find((name) => name.startsWith('orchestra-demo-'))!;
    const repo = join(sandbox.root, demo);
    const tasks = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    assert.deepEqual(tasks.map((t: { ref: string; alive: boolean }) => [t.ref, t.alive]), [['1:greet', true], ['2:notes', true]]);
    const worktree = tasks[0].worktree;
    assert.match(readFileSync(join(worktree, 'demo-1-greet.md'), 'utf8'), /Hello, world/);
    assert.equal(git(worktree, 'log', '--format=%s', '-2'), 'demo: greet: answer\ndemo: greet');
  });
});
