import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, git, Sandbox } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

/** Every file below `dir` with a hash of its content (links as their target), for "nothing changed". */
function snapshot(dir: string): Record<string, string> {
  const result: Record<string, string> = {};
  const walk = (at: string) => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      const stats = lstatSync(path);
      if (stats.isDirectory()) walk(path);
      else result[path] = stats.isFile() ? createHash('sha256').update(readFileSync(path)).digest('hex') : `${stats.mode}`;
    }
  };
  walk(dir);
  return result;
}

/**
 * A repository whose task files were written by someone else (they come with git clone and
 * git pull): options where branch names go, links, a FIFO, paths to other worktrees and to
 * the main checkout. Every command that reads or acts on tasks runs against it; nothing
 * outside the repository's .orchestra may change, and no task may lose another's work.
 */
describe('a repository full of hostile task files', () => {
  const sandbox = new Sandbox();
  let repo: string;
  let outside: string;
  let mine: { id: number; worktree: string; branch: string };
  const tasksDir = () => join(repo, '.orchestra', 'tasks');
  const hostile = (name: string, front: string, body = 'Hostile.\n') => writeFileSync(join(tasksDir(), name), `---\n${front}\n---\n\n${body}`);
  let before_: Record<string, string>;
  const protectedState = () => ({ ...snapshot(outside), ...snapshot(mine.worktree) });

  before(async () => {
    repo = sandbox.repo();
    outside = join(sandbox.root, 'outside');
    mkdirSync(join(outside, 'dir'), { recursive: true });
    writeFileSync(join(outside, 'victim.txt'), 'precious\n');
    writeFileSync(join(outside, 'dir', 'victim.txt'), 'also precious\n');
    writeFileSync(join(outside, 'secret.txt'), 'SECRET-TOKEN-1234\n');
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config');
    // The person's own task, with work not yet committed in its worktree.
    await sandbox.ok(['new', 'mine', '-m', 'My own work'], { cwd: repo });
    await sandbox.ok(['start', '1'], { cwd: repo });
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
    mine = JSON.parse(await sandbox.ok(['show', '1', '--json'], { cwd: repo }));
    writeFileSync(join(mine.worktree, 'uncommitted.txt'), 'an hour of work\n');
    // Then a pull brings these.
    hostile('2:opts.md', `status: completed\nbase_branch: "--output=${outside}/"\nbranch: "/x/victim.txt"`);
    hostile('3:eoo.md', `status: completed\nbase_branch: main\nbranch: "--output=${outside}/dir/victim.txt"`);
    symlinkSync(join(outside, 'secret.txt'), join(tasksDir(), '4:link.md'));
    execFileSync('mkfifo', [join(tasksDir(), '5:fifo.md')]);
    hostile('6:steal.md', `status: completed\nbase_branch: main\nbranch: ${mine.branch}\nworktree: ${mine.worktree}`);
    hostile('7:main-checkout.md', `status: completed\nbase_branch: main\nbranch: main\nworktree: ${repo}`);
    hostile('8:elsewhere.md', `status: completed\nbase_branch: main\nbranch: orchestra/8-elsewhere\nworktree: ${join(outside, 'dir')}`);
    before_ = protectedState();
  });
  after(() => sandbox.cleanup());

  it('status and show report the bad files by path and never pass their values to git', async () => {
    const status = await sandbox.run(['status'], { cwd: repo });
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stderr, /2:opts\.md: base_branch "--output=.*" is not a branch name \(it starts with '-'\)/);
    assert.match(status.stderr, /3:eoo\.md: branch "--output=.*" is not a branch name/);
    assert.match(status.stderr, /4:link\.md: is a symbolic link, not a regular file/);
    assert.match(status.stderr, /5:fifo\.md: is a FIFO, not a regular file/);
    assert.doesNotMatch(status.stdout + status.stderr, /SECRET-TOKEN/, 'a link is never read through');
    const json = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    assert.deepEqual(json.map((t: { ref: string }) => t.ref), ['1:mine', '6:steal', '7:main-checkout', '8:elsewhere']);
    for (const ref of ['2', '3', '4', '5']) {
      const shown = await sandbox.run(['show', ref], { cwd: repo });
      assert.equal(shown.code, 1);
      assert.match(shown.stderr, /cannot be read/);
    }
    for (const ref of ['6', '7', '8']) await sandbox.ok(['show', ref], { cwd: repo });
    // What diff runs git in and cd goes to: never a directory a task file merely names.
    for (const ref of ['7', '8']) assert.equal(JSON.parse(await sandbox.ok(['show', ref, '--json'], { cwd: repo })).worktree, null, `task ${ref}`);
    assert.deepEqual(protectedState(), before_);
  });

  it('diff, merge and rm --force touch only what Orchestra made for the task', async () => {
    for (const ref of ['2', '3']) {
      assert.equal((await sandbox.run(['diff', ref], { cwd: repo })).code, 1);
      assert.equal((await sandbox.run(['merge', ref], { cwd: repo })).code, 1);
    }
    await sandbox.run(['diff', '6'], { cwd: repo });
    const merge = await sandbox.run(['merge', '8', '--cleanup'], { cwd: repo });
    assert.equal(merge.code, 1, 'orchestra/8-elsewhere does not exist');
    // rm --force of a task naming another task's worktree, the main checkout, a directory elsewhere.
    for (const ref of ['6', '7', '8']) {
      const removed = await sandbox.ok(['rm', ref, '--force'], { cwd: repo });
      assert.doesNotMatch(removed, /worktree/i, `rm ${ref} removed no worktree: ${removed}`);
    }
    const refused = await sandbox.run(['rm', '1', '--delete-branch'], { cwd: repo });
    assert.match(refused.stderr, /uncommitted changes/, 'my own task is still protected by its own checks');
    assert.ok(existsSync(join(mine.worktree, 'uncommitted.txt')));
    assert.ok(existsSync(join(repo, 'README.md')), 'the main checkout is whole');
    assert.deepEqual(protectedState(), before_);
  });

  it('status --watch, ui and the MCP server list_tasks with a hostile file arriving', async () => {
    const watch = new TestTerminal(process.execPath, [CLI, 'status', '--watch'], { cwd: repo, env: sandbox.env });
    const ui = new TestTerminal(process.execPath, [CLI, 'ui'], { cwd: repo, env: sandbox.env, cols: 100, rows: 30 });
    try {
      await watch.waitFor(/1 +mine/);
      await ui.waitFor(/1 +mine/);
      hostile('9:arrives.md', `status: completed\nbase_branch: "--output=${outside}/victim.txt"\nbranch: orchestra/9-arrives`);
      await watch.waitFor('9:arrives.md');
      // The dashboard follows the same events; it names the first unreadable file (cut to its width) and goes on.
      await ui.waitFor(/! cannot read \S+2:opts\.md/);
      assert.equal(ui.exitCode, undefined, 'the dashboard runs on');
    } finally {
      watch.kill();
      ui.kill();
    }
    const client = new Client({ name: 'test', version: '1' });
    const env = { ...sandbox.env, ORCHESTRA_PROJECT_ROOT: repo, ORCHESTRA_TASK_ID: '1' } as Record<string, string>;
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, 'mcp'], env, cwd: repo, stderr: 'pipe' }));
    try {
      const listed = (await client.callTool({ name: 'list_tasks', arguments: {} })) as { content: { text: string }[] };
      assert.match(listed.content.map((c) => c.text).join('\n'), /1:mine/);
    } finally {
      await client.close();
    }
    assert.deepEqual(protectedState(), before_);
  });
});

describe('a tasks directory that leads out of the repository', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('is refused, and nothing is read or written through it', async () => {
    const repo = sandbox.repo();
    const elsewhere = join(sandbox.root, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, '1:planted.md'), '---\nstatus: draft\n---\n\nPlanted.\n');
    mkdirSync(join(repo, '.orchestra'));
    symlinkSync(elsewhere, join(repo, '.orchestra', 'tasks'));
    const before = snapshot(elsewhere);
    const status = await sandbox.run(['status'], { cwd: repo });
    assert.equal(status.code, 1);
    assert.match(status.stderr, /^orchestra: The tasks directory \S+ leads to \S+elsewhere, outside the repository; .*\n$/);
    assert.equal((await sandbox.run(['new', 'more', '-m', 'x'], { cwd: repo })).code, 1);
    assert.deepEqual(snapshot(elsewhere), before);
  });

  it('a worktree_dir inside the repository is refused at start', async () => {
    const repo = sandbox.repo('inside');
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\nworktree_dir: .git/wt/{id}\n');
    await sandbox.ok(['new', 'nested', '-m', 'x'], { cwd: repo });
    const start = await sandbox.run(['start', '1'], { cwd: repo });
    assert.equal(start.code, 1);
    assert.match(start.stderr, /worktree_dir in the config puts task 1:nested's worktree at \S+\.git\/wt\/1, inside the repository/);
    assert.equal(existsSync(join(repo, '.git', 'wt')), false);
  });
});
