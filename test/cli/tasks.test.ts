import assert from 'node:assert/strict';
import { MAX_DESCRIPTION_BYTES } from '../../protocol/daemon.js';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { spawn as spawnPty } from 'node-pty';
import { CLI, git, Sandbox } from '../helpers/sandbox.js';

describe('task commands against a real daemon', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const tasks = () => join(repo, '.orchestra', 'tasks');

  before(() => {
    repo = sandbox.repo();
  });
  after(() => sandbox.cleanup());

  it('init writes a commented config and an executable setup template, and keeps them the second time', async () => {
    const first = await sandbox.ok(['init'], { cwd: repo });
    assert.match(first, /created \.orchestra\/config\.yaml, \.orchestra\/setup\.sh/);
    assert.ok(statSync(join(repo, '.orchestra', 'setup.sh')).mode & 0o100);
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: claude\n');
    const second = await sandbox.ok(['init'], { cwd: repo });
    assert.match(second, /Kept \.orchestra\/config\.yaml, \.orchestra\/setup\.sh/);
    assert.equal(readFileSync(join(repo, '.orchestra', 'config.yaml'), 'utf8'), 'agent: claude\n');
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), '');
  });

  it('new writes the task file exactly as DESIGN.md shows it', async () => {
    const out = await sandbox.ok(['new', 'fix-tests', '-m', 'Analyse the errors in `./src/utils/date.test.ts`'], { cwd: repo });
    assert.match(out, /Created 1:fix-tests \(draft, base main, agent opencode\)/);
    const text = readFileSync(join(tasks(), '1:fix-tests.md'), 'utf8');
    assert.match(text, /^---\nbase_branch: main\nstatus: draft\ncreated: \S+\nupdated: \S+\n---\n\nAnalyse the errors in `\.\/src\/utils\/date\.test\.ts`\n$/);
  });

  it('new reads the description from stdin and takes --base and --agent', async () => {
    git(repo, 'branch', 'develop');
    const task = JSON.parse(await sandbox.ok(['new', 'add-docs', '--base', 'develop', '--agent', 'claude', '--json'], { cwd: repo, input: 'Write the docs\n\nAll of them.\n' }));
    assert.equal(task.id, 2);
    assert.equal(task.base_branch, 'develop');
    assert.equal(task.agent, 'claude');
    assert.equal(task.description, 'Write the docs\n\nAll of them.\n');
    assert.equal(task.title, 'Write the docs');
  });

  it('new refuses bad input with one sentence and the usage exit status, creating nothing', async () => {
    const cases: Array<[string[], RegExp, number]> = [
      [['new', 'Bad Slug', '-m', 'x'], /^orchestra: 'Bad Slug' is not a valid slug: .*try 'bad-slug'\.\n$/, 2],
      [['new', 'fix-tests', '-m', 'x'], /^orchestra: A task named 'fix-tests' exists already \(1:fix-tests\); .*\n$/, 1],
      [['new', 'x1', '--base', 'mian', '-m', 'x'], /^orchestra: There is no branch 'mian' in .* Did you mean main\?\n$/, 2],
      [['new', 'x2', '--agent', 'opencod', '-m', 'x'], /^orchestra: There is no agent profile 'opencod' \(did you mean opencode\?\)/, 2],
      [['new', 'x3', '-m', '   '], /^orchestra: The description is empty, so no task was created/, 2],
      [['new', 'x3b', '-m', '-x'], /^orchestra: Unknown option `-x`/, 2],
      [['new', 'x3c', '-m', 'a', '-m', 'b'], /^orchestra: --message was given more than once; give it once\.\n$/, 2],
      [['new', 'x4'], /^orchestra: The description is empty/, 2],
      [['new'], /^orchestra: missing required args for command `new <slug>`; see 'orchestra new --help'\.\n$/, 2],
      [['new', 'x5', '--bogus'], /^orchestra: Unknown option `--bogus`; see 'orchestra new --help'\.\n$/, 2],
      [['stauts'], /^orchestra: 'stauts' is not an orchestra command \(did you mean status or start\?\)/, 2],
    ];
    for (const [args, stderr, code] of cases) {
      const result = await sandbox.run(args, { cwd: repo });
      assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, stderr);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
    const status = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    assert.deepEqual(status.map((t: { ref: string }) => t.ref), ['1:fix-tests', '2:add-docs']);
  });

  it('keeps option values as typed, also when they look like numbers', async () => {
    git(repo, 'branch', '007');
    const task = JSON.parse(await sandbox.ok(['new', 'numbers', '-m', '1e3', '--base', '007', '--json'], { cwd: repo }));
    assert.equal(task.description, '1e3\n');
    assert.equal(task.base_branch, '007');
    await sandbox.ok(['rm', 'numbers'], { cwd: repo });
  });

  it('show prints the settings and the description, and --json the stable shape', async () => {
    const out = await sandbox.ok(['show', 'fix-tests'], { cwd: repo });
    assert.match(out, /^1:fix-tests {2}draft\n {2}base +main\n/);
    assert.match(out, /\n\nAnalyse the errors/);
    const task = JSON.parse(await sandbox.ok(['show', '1:fix-tests', '--json'], { cwd: repo }));
    assert.deepEqual(Object.keys(task).sort(), [
      'agent', 'alive', 'base_branch', 'branch', 'changes', 'created', 'description', 'exit_code', 'extra', 'id', 'log', 'merged_commit',
      'path', 'project', 'ref', 'slug', 'status', 'title', 'updated', 'viewers', 'waiting', 'worktree',
    ]);
    assert.equal(task.project, repo);
  });

  it('refers to tasks by id, slug or id:slug, and names close matches for unknown ones', async () => {
    for (const ref of ['1', 'fix-tests', '1:fix-tests']) assert.match(await sandbox.ok(['show', ref], { cwd: repo }), /^1:fix-tests/);
    const unknown = await sandbox.run(['show', 'fix-test'], { cwd: repo });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "orchestra: There is no task 'fix-test'; did you mean 1:fix-tests?\n");
  });

  it('complete, review and set-status change the status and nothing else in the file', async () => {
    const file = join(tasks(), '2:add-docs.md');
    const before = readFileSync(file, 'utf8');
    const review = await sandbox.run(['review', '2'], { cwd: repo });
    assert.equal(review.code, 1);
    assert.match(review.stderr, /Task 2:add-docs is draft, so there is nothing finished to review/);
    assert.match(await sandbox.ok(['complete', '2'], { cwd: repo }), /2:add-docs is completed\./);
    assert.match(await sandbox.ok(['review', 'add-docs'], { cwd: repo }), /2:add-docs is reviewed\./);
    const after = readFileSync(file, 'utf8');
    const normalize = (text: string) => text.replace(/^status: .*$/m, 'status: X').replace(/^updated: .*$/m, 'updated: X');
    assert.equal(normalize(after), normalize(before));
    const bad = await sandbox.run(['set-status', '2', 'done'], { cwd: repo });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /'done' is not a status; use one of draft, running, idle, completed, reviewed\./);
    assert.match(await sandbox.ok(['set-status', '2', 'idle'], { cwd: repo }), /2:add-docs is idle\./);
  });

  it('keeps unknown keys and odd formatting byte for byte when it changes the status', async () => {
    const file = join(tasks(), '7:hand-made.md');
    const text = '---\n# written by hand\nbase_branch:   main   # base\nstatus:   draft\nowner: { name: Ada,  team: [x] }\n---\nKeep   this\n\n\n  exactly\n';
    writeFileSync(file, text);
    await sandbox.ok(['complete', 'hand-made'], { cwd: repo });
    const changed = readFileSync(file, 'utf8');
    assert.equal(changed.replace(/\nupdated: \S+\n---/, '\n---'), text.replace('status:   draft', 'status:   completed'));
    const task = JSON.parse(await sandbox.ok(['show', '7', '--json'], { cwd: repo }));
    assert.deepEqual(task.extra, { owner: { name: 'Ada', team: ['x'] } });
  });

  it('status groups tasks by status, and reports a hand-broken file by path while listing the others', async () => {
    const broken = join(tasks(), '8:broken.md');
    writeFileSync(broken, '---\nstatus: [oops\n---\n');
    const result = await sandbox.run(['status'], { cwd: repo });
    assert.equal(result.code, 0);
    assert.equal(result.stderr, `orchestra: cannot read ${broken}: invalid YAML in the front matter at line 2: Flow sequence in block collection must be sufficiently indented and end with a ].\n`);
    const lines = result.stdout.split('\n');
    assert.deepEqual(lines.filter((l) => !l.startsWith(' ') && l), ['draft (1)', 'idle (1)', 'completed (1)']);
    assert.match(result.stdout, /draft \(1\)\n {2}1 {2}fix-tests {2}opencode {2}main +just now {2}Analyse the errors/);
    const json = await sandbox.run(['status', '--json'], { cwd: repo });
    const list = JSON.parse(json.stdout);
    assert.equal(list.length, 3);
    for (const key of ['id', 'slug', 'status', 'base_branch', 'branch', 'worktree', 'agent', 'project', 'alive', 'viewers']) assert.ok(key in list[0], key);
    const show = await sandbox.run(['show', '8'], { cwd: repo });
    assert.equal(show.code, 1);
    assert.match(show.stderr, new RegExp(`^orchestra: Task 8 cannot be read: ${broken}: invalid YAML`));
    assert.match((await sandbox.run(['complete', 'hand-made'], { cwd: repo })).stdout, /is completed/, 'other tasks can still be changed');
    writeFileSync(broken, '---\nstatus: draft\n---\nRepaired\n');
  });

  it('works from a subdirectory and from a linked worktree, on the main checkout\'s task files', async () => {
    const worktree = join(sandbox.root, 'linked');
    git(repo, 'worktree', 'add', '-q', '-b', 'feature', worktree);
    const fromWorktree = JSON.parse(await sandbox.ok(['new', 'from-worktree', '-m', 'x', '--json'], { cwd: worktree }));
    assert.equal(fromWorktree.project, repo);
    assert.equal(fromWorktree.base_branch, 'feature', 'the base defaults to the current branch');
    assert.ok(existsSync(join(tasks(), `${fromWorktree.id}:from-worktree.md`)));
    assert.ok(!existsSync(join(worktree, '.orchestra')));
    const sub = join(repo, 'src', 'deep');
    (await import('node:fs')).mkdirSync(sub, { recursive: true });
    const list = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: sub }));
    assert.ok(list.some((t: { slug: string }) => t.slug === 'from-worktree'));
  });

  it('says so outside a git repository', async () => {
    const result = await sandbox.run(['status'], { cwd: sandbox.root });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `orchestra: ${sandbox.root} is not inside a git repository; run orchestra inside one (or 'git init' first).\n`);
  });

  it('status --all lists every project the daemon has served', async () => {
    const other = sandbox.repo('other');
    await sandbox.ok(['new', 'elsewhere', '-m', 'In the other project'], { cwd: other });
    const all = JSON.parse(await sandbox.ok(['status', '--all', '--json'], { cwd: sandbox.root }));
    assert.deepEqual([...new Set(all.map((t: { project: string }) => t.project))].sort(), [other, repo].sort());
    const text = await sandbox.ok(['status', '--all'], { cwd: sandbox.root });
    assert.match(text, new RegExp(`^${other}\\ndraft \\(1\\)\\n {2}1 {2}elsewhere`, 'm'));
  });

  it('edit opens $EDITOR on the task file and reports a file the edit broke', async () => {
    const editor = join(sandbox.root, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nprintf "%s" "$ORCH_TEST_TEXT" > "$1"\n');
    chmodSync(editor, 0o755);
    await sandbox.ok(['edit', '1'], { cwd: repo, env: { EDITOR: editor, ORCH_TEST_TEXT: '---\nbase_branch: main\nstatus: draft\n---\nRewritten in the editor\n' } });
    assert.match(await sandbox.ok(['show', '1'], { cwd: repo }), /Rewritten in the editor/);
    const broken = await sandbox.run(['edit', '1'], { cwd: repo, env: { VISUAL: editor, EDITOR: 'false', ORCH_TEST_TEXT: '---\nstatus: nonsense\n---\n' } });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /Task 1 cannot be read: .*status 'nonsense' is not one of .*; the file is kept as you saved it: run 'orchestra edit 1' to fix it\.\n$/);
    const repaired = await sandbox.run(['edit', '1'], { cwd: repo, env: { EDITOR: editor, ORCH_TEST_TEXT: '---\nbase_branch: main\nstatus: draft\n---\nRepaired\n' } });
    assert.equal(repaired.code, 0, `a broken file can be repaired with edit: ${repaired.stderr}`);
    const failing = await sandbox.run(['edit', '2'], { cwd: repo, env: { EDITOR: 'false' } });
    assert.equal(failing.code, 1);
    assert.match(failing.stderr, /The editor 'false' exited with status 1/);
    writeFileSync(join(tasks(), '1:fix-tests.md'), '---\nbase_branch: main\nstatus: draft\n---\nRestored\n');
  });

  it('rm deletes a draft\'s file, and a task whose worktree is gone', async () => {
    assert.match(await sandbox.ok(['rm', '2'], { cwd: repo }), /^Removed 2:add-docs: deleted .*2:add-docs\.md\.\n$/);
    assert.ok(!existsSync(join(tasks(), '2:add-docs.md')));
    writeFileSync(join(tasks(), '20:worktree-gone.md'), `---\nstatus: idle\nworktree: ${join(sandbox.root, 'gone')}\n---\n`);
    assert.match(await sandbox.ok(['rm', '20'], { cwd: repo }), /^Removed 20:worktree-gone: deleted /);
    assert.ok(!existsSync(join(tasks(), '20:worktree-gone.md')));
  });
});

describe('new in a terminal', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  // A real terminal (a PTY) for the command, so `new` takes the editor path; stdout and stderr both reach it.
  function inTerminal(args: string[], env: NodeJS.ProcessEnv, cwd: string, cols = 100) {
    return new Promise<{ code: number; output: string }>((resolve, reject) => {
      const fullEnv = Object.fromEntries(Object.entries({ ...sandbox.env, ...env }).filter((entry): entry is [string, string] => entry[1] !== undefined));
      const pty = spawnPty(process.execPath, [CLI, ...args], { name: 'xterm-256color', cols, rows: 30, cwd, env: fullEnv });
      let output = '';
      pty.onData((data) => (output += data));
      const timer = setTimeout(() => {
        pty.kill('SIGKILL');
        reject(new Error(`orchestra ${args.join(' ')} did not exit in a terminal; it wrote:\n${output}`));
      }, 30_000);
      // node-pty reports the exit once the terminal's output is read to the end.
      pty.onExit(({ exitCode }) => {
        clearTimeout(timer);
        resolve({ code: exitCode, output });
      });
    });
  }

  it('opens the editor on a template whose note is removed, and creates nothing from an empty text', async () => {
    const repo = sandbox.repo();
    const editor = join(sandbox.root, 'editor.sh');
    // Writes a description above the template's note, as a person would.
    writeFileSync(
      editor,
      '#!/bin/sh\ngrep -q "Describe task .via-editor. for the agent (base branch main, agent opencode)" "$1" || exit 3\n' +
        '{ echo "Written in the editor"; cat "$1"; } > "$1.new" && mv "$1.new" "$1"\n',
    );
    chmodSync(editor, 0o755);
    const created = await inTerminal(['new', 'via-editor'], { EDITOR: editor }, repo);
    assert.equal(created.code, 0, created.output);
    const text = readFileSync(join(repo, '.orchestra', 'tasks', '1:via-editor.md'), 'utf8');
    assert.match(text, /\n---\n\nWritten in the editor\n$/);
    const empty = await inTerminal(['new', 'left-empty'], { EDITOR: 'true' }, repo);
    assert.equal(empty.code, 2);
    assert.match(empty.output, /The description is empty, so no task was created/);
    const badSlug = await inTerminal(['new', 'Bad_Slug'], { EDITOR: editor }, repo);
    assert.equal(badSlug.code, 2, 'the slug is checked before the editor opens');
    assert.match(badSlug.output, /'Bad_Slug' is not a valid slug/);
  });

  it('colours only on a terminal, and never with NO_COLOR', async () => {
    const repo = sandbox.repo('colours');
    await sandbox.ok(['new', 'paint-me', '-m', 'x'], { cwd: repo });
    const status = ['status'];
    const coloured = await inTerminal(status, { NO_COLOR: '' }, repo);
    assert.match(coloured.output, /\x1b\[2mdraft\x1b\[0m/);
    const plain = await inTerminal(status, { NO_COLOR: '1' }, repo);
    assert.doesNotMatch(plain.output, /\x1b\[/);
    assert.doesNotMatch(await sandbox.ok(['status'], { cwd: repo, env: { NO_COLOR: '' } }), /\x1b\[/, 'not on a pipe');
  });

  it('status at 80 columns cuts one long cell, and every row keeps its title', async () => {
    const repo = sandbox.repo('narrow');
    const long = 'a-slug-long-enough-to-take-most-of-an-eighty-column-line-alone';
    for (const [slug, title] of [['short', 'Fix the flaky login test'], [long, 'Rename the config keys'], ['docs', 'Write the install guide']]) {
      await sandbox.ok(['new', slug!, '-m', title!], { cwd: repo });
    }
    const { code, output } = await inTerminal(['status'], { NO_COLOR: '1' }, repo, 80);
    assert.equal(code, 0, output);
    const rows = output.split('\r\n').filter((line) => line.startsWith('  '));
    assert.equal(rows.length, 3, output);
    for (const row of rows) assert.ok(row.length <= 80, `fits: ${row}`);
    assert.match(rows[0]!, /^ {2}1 {2}short +opencode {2}main {2}just now {2}Fix the flaky login test$/);
    assert.match(rows[1]!, /^ {2}2 {2}a-slug-long-enough-.*… +opencode {2}main {2}just now {2}Rename the config keys$/);
    assert.match(rows[2]!, /^ {2}3 {2}docs +opencode {2}main {2}just now {2}Write the install guide$/);
  });
});

describe('new on a pipe', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('new waits for a description that arrives late on a pipe, and takes one larger than a pipe holds', async () => {
    const description = `Late and long\n\n${'All of the details. '.repeat(12_000)}\n`;
    const child = spawn(process.execPath, [CLI, 'new', 'late-pipe', '--json'], { cwd: sandbox.repo(), env: sandbox.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    // Nothing for a while, as from a slow command at the pipe's other end; then 240 KB.
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.stdin.end(description);
    assert.equal(await exited, 0, stderr);
    assert.equal(JSON.parse(stdout).description, description);
  });

  it('new refuses a description larger than a task takes, in a sentence, before the daemon sees it', async () => {
    const repo = sandbox.repo('huge');
    const result = await sandbox.run(['new', 'huge'], { cwd: repo, input: 'x'.repeat(MAX_DESCRIPTION_BYTES + 1) });
    assert.deepEqual([result.code, result.stderr], [2, `orchestra: The description is 1.5 MiB, more than a task takes (1.5 MiB), so no task was created; put the material in a file of the repository and have the description point at it.\n`]);
  });
});
