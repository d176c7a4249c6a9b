import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { git, Sandbox } from '../helpers/sandbox.js';
import { taskWithWork as withWork } from '../helpers/tasks.js';

/** Everything that says what a repository holds: refs, the main checkout's HEAD, index and files. */
function state(repo: string): string {
  return [git(repo, 'for-each-ref', '--format=%(refname) %(objectname)'), git(repo, 'rev-parse', 'HEAD'), git(repo, 'status', '--porcelain', '--untracked-files=all')].join('\n');
}

describe('merge, diff and rm', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const taskWithWork = (slug: string, files: Record<string, string>, description?: string) => withWork(sandbox, repo, slug, files, description);
  const run = (args: string[]) => sandbox.run(args, { cwd: repo });

  before(() => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(
      join(repo, '.orchestra', 'config.yaml'),
      `agent: idle\nagents:\n  idle: { command: ${JSON.stringify(['/bin/sh', '-c', 'echo ready; exec sleep 300'])} }\n`,
    );
    writeFileSync(join(repo, '.gitignore'), '.orchestra/tasks/\n');
    writeFileSync(join(repo, 'shared.txt'), 'one\ntwo\nthree\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'config and a shared file');
  });
  after(() => sandbox.cleanup());

  it('merges by each strategy, records the commit, and status shows what a finished branch brings', async () => {
    const merged = await taskWithWork('with-merge', { 'a.txt': 'a\n' });
    const squashed = await taskWithWork('with-squash', { 'b.txt': 'b\n' }, 'Squash me.\n\nA longer description.');
    const rebased = await taskWithWork('with-rebase', { 'c.txt': 'c\n' });
    await sandbox.ok(['complete', merged.id], { cwd: repo });
    assert.match(await sandbox.ok(['status'], { cwd: repo }), /1 {2}with-merge .*\+1, 1 file, clean/);

    assert.match(await sandbox.ok(['merge', merged.id], { cwd: repo }), /Merged 1:with-merge into main with a merge commit/);
    assert.equal(git(repo, 'log', '-1', '--format=%s%n%P').split('\n')[1]!.split(' ').length, 2, 'a merge commit');
    assert.equal(git(repo, 'show', 'HEAD:a.txt'), 'a');

    await sandbox.ok(['merge', squashed.id, '--squash'], { cwd: repo });
    assert.equal(git(repo, 'log', '-1', '--format=%P').split(' ').length, 1, 'one commit with one parent');
    assert.match(git(repo, 'log', '-1', '--format=%B'), /^with-squash: Squash me\.\n\nSquash me\.\n\nA longer description\./);

    const before = git(rebased.worktree, 'rev-parse', 'HEAD');
    await sandbox.ok(['merge', rebased.id, '--rebase'], { cwd: repo });
    assert.notEqual(git(repo, 'rev-parse', 'HEAD'), before, 'rebased onto the moved base');
    assert.equal(git(repo, 'rev-parse', 'HEAD'), git(repo, 'rev-parse', rebased.branch), 'then fast-forwarded');
    assert.equal(git(repo, 'log', '-1', '--format=%P').split(' ').length, 1, 'no merge commit');

    for (const t of [merged, squashed, rebased]) {
      const task = JSON.parse(await sandbox.ok(['show', t.id, '--json'], { cwd: repo }));
      assert.match(task.merged_commit, /^[0-9a-f]{40}$/);
    }
    assert.match(await sandbox.ok(['status'], { cwd: repo }), /with-merge .*merged [0-9a-f]{7}/);
    for (const file of ['a.txt', 'b.txt', 'c.txt']) assert.ok(existsSync(join(repo, file)));
  });

  it('changes nothing when the merge would conflict, and says which files and what to do', async () => {
    const task = await taskWithWork('conflicting', { 'shared.txt': 'one\nTASK\nthree\n' });
    writeFileSync(join(repo, 'shared.txt'), 'one\nMAIN\nthree\n');
    git(repo, 'commit', '-q', '-am', 'main moves on');
    await sandbox.ok(['complete', task.id], { cwd: repo });
    assert.match(await sandbox.ok(['status'], { cwd: repo }), /conflicting .*\+1, 1 file, conflicts/);
    const before = state(repo);
    const worktreeBefore = state(task.worktree);
    for (const strategy of [[], ['--squash'], ['--rebase']]) {
      const result = await run(['merge', task.id, ...strategy]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /conflicts with main in shared\.txt; nothing was changed\. Start the agent again/);
      assert.equal(state(repo), before, 'the base branch and its work tree are as they were');
      assert.equal(state(task.worktree), worktreeBefore, 'the task branch is as it was');
    }
    // With --commit, the committed work is checked before the worktree's changes are committed.
    writeFileSync(join(task.worktree, 'more.txt'), 'more\n');
    const dirty = state(task.worktree);
    const result = await run(['merge', task.id, '--commit']);
    assert.match(result.stderr, /conflicts with main in shared\.txt; nothing was changed\./);
    assert.equal(state(task.worktree), dirty, 'nothing was committed');
    assert.equal(state(repo), before);
  });

  it('refuses a dirty main checkout, a dirty worktree (then commits it with --commit), a running agent and another checked-out branch', async () => {
    const task = await taskWithWork('careful', { 'd.txt': 'd\n' });
    writeFileSync(join(repo, 'scratch.txt'), 'mine\n');
    let result = await run(['merge', task.id]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /main checkout has uncommitted changes \(scratch\.txt\)/);
    git(repo, 'add', 'scratch.txt');
    git(repo, 'commit', '-q', '-m', 'scratch');

    writeFileSync(join(task.worktree, 'd.txt'), 'd, finished\n');
    writeFileSync(join(task.worktree, 'new.txt'), 'new\n');
    result = await run(['merge', task.id]);
    assert.match(result.stderr, /worktree has uncommitted changes \(d\.txt, new\.txt\), which a merge would leave behind; merge with --commit/);

    await sandbox.ok(['start', task.id], { cwd: repo });
    result = await run(['merge', task.id, '--commit']);
    assert.match(result.stderr, /agent is still running .*'orchestra stop \d+' first, or merge with --force/);
    await sandbox.ok(['stop', task.id], { cwd: repo });

    git(repo, 'switch', '-q', '-c', 'elsewhere');
    result = await run(['merge', task.id, '--commit']);
    assert.match(result.stderr, /merges into main, but the main checkout .* is on elsewhere; 'git switch main' there first/);
    git(repo, 'switch', '-q', 'main');

    await sandbox.ok(['merge', task.id, '--commit'], { cwd: repo });
    assert.equal(git(repo, 'show', 'HEAD:d.txt'), 'd, finished');
    assert.equal(git(repo, 'show', 'HEAD:new.txt'), 'new');
    assert.match(git(task.worktree, 'log', '-1', '--format=%s'), /^careful: Work on careful\./);
  });

  it('--json gives every outcome as JSON on stdout, refusals and bad usage too, with their exit status', async () => {
    const task = await taskWithWork('as-json', { 'h.txt': 'h\n' });
    const failure = async (args: string[], code: number, sentence: RegExp) => {
      const result = await run(args);
      assert.deepEqual([result.code, result.stderr], [code, ''], `orchestra ${args.join(' ')}`);
      const out = JSON.parse(result.stdout);
      assert.deepEqual(Object.keys(out), ['error', 'exit_code']);
      assert.equal(out.exit_code, code);
      assert.match(out.error, sentence);
    };
    writeFileSync(join(repo, 'untracked.txt'), 'mine\n');
    await failure(['merge', task.id, '--json'], 1, /^The main checkout has uncommitted changes \(untracked\.txt\)/);
    rmSync(join(repo, 'untracked.txt'));
    await failure(['merge', task.id, '--json', '--squash', '--rebase'], 2, /^Pick one of --squash and --rebase/);
    await failure(['merge', 'no-such-task', '--json'], 1, /no-such-task/);
    await failure(['merge', '--json'], 2, /missing required args .*; see 'orchestra merge --help'\.$/);
    await failure(['show', 'no-such-task', '--json'], 1, /no-such-task/);
    const merged = JSON.parse(await sandbox.ok(['merge', task.id, '--json'], { cwd: repo }));
    assert.match(merged.merged_commit, /^[0-9a-f]{40}$/);
    // Without --json, the sentence goes to stderr as always.
    const plain = await run(['merge', task.id]);
    assert.deepEqual([plain.code, plain.stdout], [1, '']);
    assert.match(plain.stderr, /^orchestra: Task \d+:as-json's branch .* has no commits that main does not have/);
  });

  it('cleans up after a merge: no worktree, no branch', async () => {
    const task = await taskWithWork('tidy', { 'e.txt': 'e\n' });
    const out = await sandbox.ok(['merge', task.id, '--cleanup'], { cwd: repo });
    assert.match(out, /Removed its worktree .*\nDeleted its branch orchestra\/\d+-tidy\./);
    assert.ok(!existsSync(task.worktree));
    assert.equal(git(repo, 'branch', '--list', task.branch), '');
    assert.doesNotMatch(git(repo, 'worktree', 'list'), /tidy/);

    // Every command that needs the branch or worktree says what became of them, not that the task never started.
    const sha = git(repo, 'rev-parse', 'HEAD').slice(0, 12);
    const gone = `Task ${task.id}:tidy was merged into main as ${sha}, and its branch and worktree removed (merge --cleanup)`;
    for (const [args, then] of [
      [['merge', task.id], 'so there is nothing more to merge.'],
      [['diff', task.id], 'so there is no branch left to diff; its work is part of main now.'],
      [['path', task.id], 'so there is no worktree to go to.'],
    ] as const) {
      const result = await run([...args]);
      assert.deepEqual([result.code, result.stderr], [1, `orchestra: ${gone}, ${then}\n`], `orchestra ${args.join(' ')}`);
    }
    const shown = await sandbox.ok(['show', task.id], { cwd: repo });
    assert.match(shown, /\n {2}branch {5}removed after the merge \(merge --cleanup\)\n {2}worktree {3}removed after the merge \(merge --cleanup\)\n/);
    assert.match(shown, new RegExp(`\\n {2}merged {5}${sha}`));
  });

  // Todo until src/core/agent-runs.ts calls startRefusal in start() and mergedAway in terminal() (the lead's file).
  it('does not start a task merge --cleanup finished with, nor reach its agent, and says why', async () => {
    const task = await taskWithWork('tidy-again', { 'e2.txt': 'e\n' });
    await sandbox.ok(['merge', task.id, '--cleanup'], { cwd: repo });
    const gone = `Task ${task.id}:tidy-again was merged into main as ${git(repo, 'rev-parse', 'HEAD').slice(0, 12)}, and its branch and worktree removed (merge --cleanup)`;
    const start = await run(['start', task.id]);
    assert.deepEqual([start.code, start.stderr], [1, `orchestra: ${gone}, so it is done; for more work on it, create a new task with 'orchestra new <slug>'.\n`]);
    assert.equal(git(repo, 'branch', '--list', task.branch), '', 'no branch made again');
    const send = await run(['send', task.id, 'more']);
    assert.deepEqual([send.code, send.stderr], [1, `orchestra: ${gone}, so no agent runs for it.\n`]);
    // Its agent's last screen stays on show, as ui shows it.
    assert.match((await run(['peek', task.id])).stderr, /^orchestra: \S+'s agent ended with exit code \d+; its last screen:\n$/);
  });

  it('shows what a task changed, committed or not, with git', async () => {
    const task = await taskWithWork('shown', { 'f.txt': 'committed\n' });
    writeFileSync(join(task.worktree, 'f.txt'), 'committed\nand not yet\n');
    const out = await sandbox.ok(['diff', task.id], { cwd: repo });
    assert.match(out, /\+\+\+ b\/f\.txt\n@@ .* @@\n\+committed\n\+and not yet/);
    assert.match(await sandbox.ok(['diff', task.id, '--stat'], { cwd: repo }), /f\.txt \| 2 \+\+\n 1 file changed/);
  });

  it('rm refuses to lose work, and says what would be lost', async () => {
    const task = await taskWithWork('removable', { 'g.txt': 'g\n' });
    writeFileSync(join(task.worktree, 'g.txt'), 'unsaved\n');
    let result = await run(['rm', task.id]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /uncommitted changes \(g\.txt\) that removing it would delete; commit them, or rm --force/);
    git(task.worktree, 'commit', '-q', '-am', 'saved');
    result = await run(['rm', task.id, '--delete-branch']);
    assert.match(result.stderr, /branch orchestra\/\d+-removable has 2 commits that main does not have, which deleting it would lose/);
    assert.ok(existsSync(task.worktree), 'nothing removed by a refusal');
    await sandbox.ok(['start', task.id], { cwd: repo });
    const out = await sandbox.ok(['rm', task.id], { cwd: repo });
    assert.match(out, /Removed \d+:removable: stopped its agent, removed its worktree .*, deleted .*\nIts branch orchestra\/\d+-removable stays/);
    assert.ok(!existsSync(task.worktree));
    assert.notEqual(git(repo, 'branch', '--list', task.branch), '', 'the branch stays');
    assert.equal((await run(['show', task.id])).code, 1, 'the task file is gone');
  });

  // Todo until Orchestra.remove() in src/core/orchestra.ts deletes the task's log (the lead's file).
  it("rm deletes the task's log, prompt and credentials with it", async () => {
    const task = await taskWithWork('logged', { 'i.txt': 'i\n' });
    const { log } = JSON.parse(await sandbox.ok(['show', task.id, '--json'], { cwd: repo }));
    assert.ok(existsSync(log));
    await sandbox.ok(['rm', task.id, '--force'], { cwd: repo });
    assert.ok(!existsSync(dirname(log)), 'the task log directory is gone');
    assert.ok(existsSync(dirname(dirname(log))), "the project's other logs stay");
  });

  it('merges two tasks asked at once one after the other: both land, and the main checkout stays clean', async () => {
    const pairs = [await taskWithWork('at-once-a', { 'at-once-a.txt': 'a\n' }), await taskWithWork('at-once-b', { 'at-once-b.txt': 'b\n' })];
    const results = await Promise.all(pairs.map((task) => run(['merge', task.id])));
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '', 'nothing staged, deleted or left over');
    for (const name of ['at-once-a.txt', 'at-once-b.txt']) assert.ok(existsSync(join(repo, name)), `${name} merged`);
    for (const task of pairs) assert.equal(git(repo, 'merge-base', '--is-ancestor', task.branch, 'HEAD') === '', true);
  });
});
