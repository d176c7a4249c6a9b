import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { alive, CLI, git, Sandbox, waitFor } from '../helpers/sandbox.js';

describe('start: worktrees and the setup script', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const show = async (ref: string) => JSON.parse(await sandbox.ok(['show', ref, '--json'], { cwd: repo }));
  const setup = (script: string, config = '') => {
    writeFileSync(join(repo, '.orchestra', 'setup.sh'), script);
    chmodSync(join(repo, '.orchestra', 'setup.sh'), 0o755);
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: demo\n${config}`);
  };

  before(() => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'));
  });
  after(() => sandbox.cleanup());

  it('runs the setup script in the new worktree with the task variables, streaming its output to start and the log', async () => {
    setup('#!/bin/sh\necho "setting up in $(pwd)"\nenv | grep ^ORCHESTRA_ | grep -v -e ORCHESTRA_HOME -e ORCHESTRA_DEMO | sort > "$ORCHESTRA_PROJECT_ROOT/setup-env.txt"\necho done >&2\n');
    await sandbox.ok(['new', 'with-setup', '-m', 'Set up first'], { cwd: repo });
    const out = await sandbox.ok(['start', '1'], { cwd: repo });
    const task = await show('1');
    assert.match(out, new RegExp(`^setting up in ${task.worktree}\ndone\nStarted 1:with-setup`));
    const vars = Object.fromEntries(readFileSync(join(repo, 'setup-env.txt'), 'utf8').trim().split('\n').map((line) => line.split(/=(.*)/s).slice(0, 2)));
    // The agent's credentials: a token, and the private file that holds it (for its MCP server).
    const { ORCHESTRA_TOKEN: token, ORCHESTRA_TOKEN_FILE: tokenFile, ...rest } = vars;
    assert.match(token!, /^[0-9a-f]{64}$/);
    assert.equal(readFileSync(tokenFile!, 'utf8').trim(), token);
    assert.deepEqual(rest, {
      ORCHESTRA_AGENT: 'demo',
      ORCHESTRA_BASE_BRANCH: 'main',
      ORCHESTRA_BRANCH: 'orchestra/1-with-setup',
      ORCHESTRA_PROJECT_ROOT: repo,
      ORCHESTRA_SOCKET: join(sandbox.home, 'run', 'daemon.sock'),
      ORCHESTRA_TASK_FILE: join(repo, '.orchestra', 'tasks', '1:with-setup.md'),
      ORCHESTRA_TASK_ID: '1',
      ORCHESTRA_TASK_SLUG: 'with-setup',
      ORCHESTRA_WORKTREE: task.worktree,
    });
    const log = await sandbox.ok(['logs', '1'], { cwd: repo });
    assert.match(log, /setup: running \.orchestra\/setup\.sh\nsetting up in .*\ndone\n.*setup: finished\n.*started agent 'demo'/);
    // A start after a stop reuses the worktree and does not set it up again.
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
    const again = await sandbox.ok(['start', '1'], { cwd: repo });
    assert.doesNotMatch(again, /setting up/);
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
  });

  it('leaves the task untouched when the setup script fails, and says where its output is', async () => {
    setup('#!/bin/sh\necho "installing dependencies"\necho "npm ERR! no network" >&2\nexit 3\n');
    await sandbox.ok(['new', 'broken-setup', '-m', 'Never starts'], { cwd: repo });
    const file = join(repo, '.orchestra', 'tasks', '2:broken-setup.md');
    const before = readFileSync(file, 'utf8');
    const result = await sandbox.run(['start', '2'], { cwd: repo });
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^installing dependencies\nnpm ERR! no network\n$/);
    const log = join(sandbox.home, 'state', 'tasks');
    assert.match(
      result.stderr,
      new RegExp(`^orchestra: The setup script \\.orchestra/setup\\.sh failed with exit status 3; the agent was not started and the task is unchanged\\. Its output is in ${log}/.*/2-broken-setup/task\\.log\\.\n$`),
    );
    assert.equal(readFileSync(file, 'utf8'), before, 'the task file is as it was');
    assert.equal(git(repo, 'branch', '--list', 'orchestra/2-broken-setup'), '', 'no branch is left behind');
    assert.equal(sandbox.holders().filter((h) => h.task.id === 2).length, 0);
    // So the next start, with the script fixed, works.
    setup('#!/bin/sh\necho fixed\n');
    assert.match(await sandbox.ok(['start', '2'], { cwd: repo }), /^fixed\nStarted 2:broken-setup/);
    await sandbox.ok(['stop', '2', '--force'], { cwd: repo });
  });

  it('stops a setup script that runs too long, and --skip-setup skips it', async () => {
    setup('#!/bin/sh\necho waiting forever\nsleep 100\n', 'setup:\n  timeout: 0.5\n');
    await sandbox.ok(['new', 'slow-setup', '-m', 'Slow'], { cwd: repo });
    const result = await sandbox.run(['start', '3'], { cwd: repo });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchestra: The setup script \.orchestra\/setup\.sh ran longer than 0\.5 s and was stopped \(setup\.timeout in the config\); its output is in .*task\.log\.\n$/);
    const out = await sandbox.ok(['start', '3', '--skip-setup'], { cwd: repo });
    assert.doesNotMatch(out, /waiting forever/);
    // Started: running, or (the demo agent works fast here) already waiting for its answer.
    assert.ok(['running', 'idle'].includes((await show('3')).status));
    assert.ok((await show('3')).alive);
    await sandbox.ok(['stop', '3', '--force'], { cwd: repo });
  });

  it('explains what is in the way of a worktree', async () => {
    setup('#!/bin/sh\n');
    await sandbox.ok(['new', 'no-base', '-m', 'x'], { cwd: repo });
    const taskFile = join(repo, '.orchestra', 'tasks', '4:no-base.md');
    writeFileSync(taskFile, readFileSync(taskFile, 'utf8').replace('base_branch: main', 'base_branch: gone'));
    let result = await sandbox.run(['start', '4'], { cwd: repo });
    assert.equal(result.stderr, "orchestra: Task 4:no-base starts from branch 'gone', which does not exist; create it, or change base_branch with 'orchestra edit 4'.\n");

    await sandbox.ok(['new', 'taken', '-m', 'x'], { cwd: repo });
    git(repo, 'branch', 'orchestra/5-taken');
    result = await sandbox.run(['start', '5'], { cwd: repo });
    assert.match(result.stderr, /^orchestra: The branch 'orchestra\/5-taken' exists already but does not belong to task 5:taken; rename or delete it/);
    git(repo, 'branch', '-D', 'orchestra/5-taken');

    const path = join(sandbox.home, 'data', 'worktrees');
    await sandbox.ok(['new', 'blocked', '-m', 'x'], { cwd: repo });
    const dirs = execFileSync('ls', [path], { encoding: 'utf8' }).trim();
    const blocker = join(path, dirs, '6-blocked');
    mkdirSync(blocker, { recursive: true });
    writeFileSync(join(blocker, 'precious.txt'), 'mine');
    result = await sandbox.run(['start', '6'], { cwd: repo });
    assert.equal(result.stderr, `orchestra: The worktree path ${blocker} is a directory that is in the way; remove it, or set worktree_dir in .orchestra/config.yaml.\n`);
    assert.equal(readFileSync(join(blocker, 'precious.txt'), 'utf8'), 'mine');
    for (const ref of ['4', '5', '6']) assert.equal((await show(ref)).status, 'draft');
  });

  it('explains a repository without commits and an agent that is not installed', async () => {
    const empty = join(sandbox.root, 'empty');
    execFileSync('git', ['init', '-q', '-b', 'main', empty]);
    await sandbox.ok(['new', 'first', '-m', 'x', '--agent', 'demo'], { cwd: empty });
    let result = await sandbox.run(['start', '1'], { cwd: empty });
    assert.equal(result.stderr, `orchestra: The repository ${empty} has no commits yet, so there is nothing to start a worktree from; make a first commit.\n`);

    setup('#!/bin/sh\n', `agents:\n  instant: { command: [sh, -c, "echo missing API key; exit 3"] }\n`);
    result = await sandbox.run(['start', 'taken', '--agent', 'instant'], { cwd: repo });
    // Its last words in the error, not behind a path.
    assert.match(result.stderr, /^orchestra: The agent exited at once \(exit code 3\)\. Its last line \(all in \S*task\.log\):\n  missing API key\n$/);
    assert.deepEqual([(await show('taken')).status, (await show('taken')).exit_code], ['draft', null], 'the task is as it was');
    assert.match(readFileSync(result.stderr.match(/in (\S+task\.log)/)![1]!, 'utf8'), /--- the agent's last screen ---\nmissing API key\n/);
    assert.deepEqual(sandbox.holders().filter((h) => h.task.id === 5), [], 'nothing is left of its holder');

    result = await sandbox.run(['start', '4', '--agent', 'claude'], { cwd: repo, env: { PATH: '/usr/bin:/bin' } });
    assert.equal(
      result.stderr,
      "orchestra: The agent profile 'claude' runs 'claude', which is not installed or not on PATH; install it (npm install -g @anthropic-ai/claude-code), or start with another agent (--agent demo needs nothing installed).\n",
    );
    assert.equal(result.code, 1);
  });

  it('puts worktrees where worktree_dir says, and path/cd/shell-init lead there', async () => {
    setup('#!/bin/sh\n', 'worktree_dir: ../wt/{repo}/{id}-{slug}\n');
    await sandbox.ok(['new', 'elsewhere', '-m', 'x'], { cwd: repo });
    await sandbox.ok(['start', 'elsewhere'], { cwd: repo });
    const expected = join(sandbox.root, 'wt', 'repo', '7-elsewhere');
    assert.equal((await sandbox.ok(['path', '7'], { cwd: repo })).trim(), expected);
    assert.equal((await show('7')).worktree, expected);
    // The shell function calls the orchestra on PATH.
    const bin = join(sandbox.root, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'orchestra'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, { mode: 0o755 });
    const init = await sandbox.ok(['shell-init', 'bash']);
    const pwd = execFileSync('bash', ['--norc', '-c', 'eval "$1"; orchestra cd 7 && pwd', 'bash', init], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...sandbox.env, PATH: `${bin}:${process.env.PATH}` },
    });
    assert.equal(pwd.trim(), expected);
    const noTty = await sandbox.run(['cd', '7'], { cwd: repo });
    assert.equal(noTty.stderr, 'orchestra: Without the shell integration, cd opens a subshell, which needs a terminal; use: cd "$(orchestra path 7)".\n');
    assert.equal(noTty.code, 1);
    assert.equal((await sandbox.run(['path', 'no-base'], { cwd: repo })).stderr, "orchestra: Task 4:no-base has no worktree yet; 'orchestra start 4' makes one.\n");
    assert.equal((await sandbox.run(['shell-init', 'tcsh'])).code, 2);
    await sandbox.ok(['stop', '7', '--force'], { cwd: repo });
  });

  it('does not wait for what a setup script leaves in the background', async () => {
    // Were start to wait for the helper, it would run into the timeout and fail.
    setup('#!/bin/sh\necho starting a helper\nsleep 20 &\nexit 0\n', 'setup:\n  timeout: 15\n');
    await sandbox.ok(['new', 'bg-setup', '-m', 'x'], { cwd: repo });
    assert.match(await sandbox.ok(['start', 'bg-setup'], { cwd: repo }), /^starting a helper\nStarted/);
    await sandbox.ok(['stop', 'bg-setup', '--force'], { cwd: repo });
  });

  it('lists and stops agents while the config is broken, and says what is wrong with it', async () => {
    setup('#!/bin/sh\n');
    await sandbox.ok(['new', 'survivor', '-m', 'x'], { cwd: repo });
    await sandbox.ok(['start', 'survivor'], { cwd: repo });
    const config = join(repo, '.orchestra', 'config.yaml');
    writeFileSync(config, 'agents:\n  x: { commnd: [a] }\n');
    const status = await sandbox.run(['status'], { cwd: repo });
    assert.equal(status.code, 0);
    assert.match(status.stdout, /survivor/);
    assert.match(status.stderr, new RegExp(`^orchestra: ${config}: agents\\.x has unknown key 'commnd'`));
    assert.match(await sandbox.ok(['stop', 'survivor'], { cwd: repo }), /^Stopped/);
    const start = await sandbox.run(['start', 'survivor'], { cwd: repo });
    assert.equal(start.code, 1);
    assert.match(start.stderr, /agents\.x has unknown key 'commnd'/);
  });
});

describe('a setup script that misbehaves', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('survives a setup script that kills its parent, and ends what the script left running', async () => {
    const repo = sandbox.repo();
    await sandbox.ok(['status'], { cwd: repo });
    const daemon = await sandbox.daemonPid();
    const leftover = join(repo, 'leftover.pid');
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    writeFileSync(join(repo, '.orchestra', 'setup.sh'), `#!/bin/sh\nsleep 300 &\necho $! > ${leftover}\nkill $PPID\nsleep 1\n`, { mode: 0o755 });
    await sandbox.ok(['new', 'parricide', '-m', 'Kills its parent'], { cwd: repo });
    const result = await sandbox.run(['start', 'parricide'], { cwd: repo });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchestra: The setup script \.orchestra\/setup\.sh was killed by SIGTERM; the agent was not started/);
    assert.equal(await sandbox.daemonPid(), daemon, 'the same daemon serves on');
    const pid = Number(readFileSync(leftover, 'utf8'));
    await waitFor(() => !alive(pid), 'what the script left running to end');
  });

  it('outlives a client that goes away while the setup script prints: the start finishes in the daemon', async () => {
    const repo = sandbox.repo('flood');
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    writeFileSync(join(repo, '.orchestra', 'setup.sh'), '#!/bin/sh\ni=0\nwhile [ $i -lt 100 ]; do yes "a line of setup output" | head -n 2000; i=$((i+1)); done\necho setup done\n', { mode: 0o755 });
    await sandbox.ok(['new', 'flood', '-m', 'Prints a lot while being set up'], { cwd: repo });
    const daemon = await sandbox.daemonPid();
    const client = spawn(process.execPath, [CLI, 'start', '1'], { cwd: repo, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
    // ctrl-c once the output flows.
    await new Promise((resolve) => client.stdout.once('data', resolve));
    client.kill('SIGINT');
    client.stdout.destroy();
    await new Promise((resolve) => client.once('exit', resolve));
    const task = () => JSON.parse(execFileSync(process.execPath, [CLI, 'show', '1', '--json'], { cwd: repo, env: sandbox.env, encoding: 'utf8' }));
    await waitFor(() => task().alive === true, 'the start to finish in the daemon', 60_000);
    assert.equal(await sandbox.daemonPid(), daemon, 'the same daemon serves on');
    assert.match(readFileSync(task().log, 'utf8'), /setup done\n.*setup: finished/s);
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
  });

  it("leaves no branch behind when git cannot make the worktree, and quotes git's fatal line", async () => {
    const repo = sandbox.repo('no-room');
    const blockFile = join(sandbox.root, 'a-file-not-a-folder');
    writeFileSync(blockFile, 'x');
    mkdirSync(join(repo, '.orchestra'));
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: demo\nworktree_dir: ${blockFile}/{id}-{slug}\n`);
    await sandbox.ok(['new', 'no-room', '-m', 'Cannot be made'], { cwd: repo });
    const result = await sandbox.run(['start', '1'], { cwd: repo });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^orchestra: Could not create the worktree \S+ \(git said: (?!Preparing)/);
    assert.equal(git(repo, 'branch', '--list', 'orchestra/1-no-room'), '', 'no branch left behind');
    // So a start that can succeed does, with no branch in its way.
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    await sandbox.ok(['start', '1'], { cwd: repo });
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
  });
});

describe('agents that end at once', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const show = async (ref: string) => JSON.parse(await sandbox.ok(['show', ref, '--json'], { cwd: repo }));
  const setup = (config: string) => writeFileSync(join(repo, '.orchestra', 'config.yaml'), `agent: demo\n${config}`);

  before(() => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'));
  });
  after(() => sandbox.cleanup());

  it('takes an agent that does its work and exits 0 at once as started and done, and keeps the work of one that fails at once', async () => {
    const scripted = 'echo done > done.txt && git add done.txt && git commit -qm "did it" && echo all done';
    setup(`agents:\n  scripted: { command: [sh, -c, '${scripted}'] }\n  sloppy: { command: [sh, -c, 'echo half > half.txt; echo gave up halfway; exit 2'] }\n`);
    await sandbox.ok(['new', 'scripted', '-m', 'Done by a script'], { cwd: repo });
    const out = await sandbox.ok(['start', 'scripted', '--agent', 'scripted'], { cwd: repo });
    assert.match(out, /^Started \S+:scripted .*\nThe agent has ended already \(exit code 0\)/);
    const done = await show('scripted');
    assert.deepEqual([done.status, done.exit_code, done.branch], ['idle', 0, `orchestra/${done.id}-scripted`]);
    assert.equal(git(repo, 'log', '-1', '--format=%s', done.branch), 'did it', 'its commit is on its branch');
    // Its last screen, as ui shows it.
    const peek = await sandbox.run(['peek', 'scripted'], { cwd: repo });
    assert.equal(peek.code, 0);
    assert.equal(peek.stdout, 'all done\n');
    assert.equal(peek.stderr, `orchestra: ${done.ref}'s agent ended with exit code 0; its last screen:\n`);

    await sandbox.ok(['new', 'sloppy', '-m', 'Fails halfway'], { cwd: repo });
    const failed = await sandbox.run(['start', 'sloppy', '--agent', 'sloppy'], { cwd: repo });
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^orchestra: The agent exited at once \(exit code 2\)\. Its last line \(all in \S+\):\n  gave up halfway\n$/);
    const sloppy = await show('sloppy');
    assert.equal(sloppy.status, 'draft', 'a failed start');
    assert.equal(readFileSync(join(sloppy.worktree, 'half.txt'), 'utf8'), 'half\n', 'what it wrote is kept, in a worktree the task records');
  });
});
