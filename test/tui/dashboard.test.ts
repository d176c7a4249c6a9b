import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, git, Sandbox, waitFor } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

/**
 * `orchestra ui` as a person sees it: the dashboard runs in a PTY owned by the test, its
 * screen read through a headless terminal at 80×24, with the demo agent in real holders
 * and other processes changing tasks meanwhile.
 */
describe('orchestra ui', () => {
  const sandbox = new Sandbox();
  let repo: string;
  let editor: string;

  /** The dashboard in a shell that prints a line before it and, after it, the exit status and whether the terminal is cooked again. */
  const dashboard = (options: { env?: NodeJS.ProcessEnv; args?: string[] } = {}) =>
    new TestTerminal(
      '/bin/sh',
      ['-c', 'printf "before the dashboard\\n"; "$@"; s=$?; printf "after the dashboard: %s %s\\n" "$s" "$(stty -a | grep -oE -- "-?icanon")"', 'sh', process.execPath, CLI, 'ui', ...(options.args ?? [])],
      { cwd: repo, env: { ...sandbox.env, EDITOR: editor, ...options.env }, cols: 80, rows: 24 },
    );
  const rows = (terminal: TestTerminal) => terminal.screen().split('\n');
  const row = (terminal: TestTerminal, text: string | RegExp) => rows(terminal).find((line) => (typeof text === 'string' ? line.includes(text) : text.test(line))) ?? '';
  const json = async (ref: string) => JSON.parse(await sandbox.ok(['show', ref, '--json'], { cwd: repo }));
  const quit = async (terminal: TestTerminal) => {
    terminal.write('q');
    await terminal.waitFor(/after the dashboard: 0 icanon/);
  };

  before(async () => {
    repo = sandbox.repo();
    writeFileSync(join(repo, '.gitignore'), '.orchestra/\n');
    git(repo, 'add', '.gitignore');
    git(repo, 'commit', '-q', '-m', 'ignore orchestra');
    await sandbox.ok(['init'], { cwd: repo });
    writeFileSync(join(repo, '.orchestra', 'config.yaml'), 'agent: demo\n');
    // The person's editor: a new task's description is written, an edited task file gets a line.
    editor = join(sandbox.root, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\ncase "$1" in\n  */.orchestra/tasks/*) printf "\\nEdited in the editor.\\n" >> "$1" ;;\n  *) printf "Described in the editor.\\n" > "$1" ;;\nesac\n');
    chmodSync(editor, 0o755);
    await sandbox.ok(['new', 'alpha', '-m', 'First task'], { cwd: repo });
    await sandbox.ok(['new', 'beta', '-m', 'Second task'], { cwd: repo });
    await sandbox.ok(['start', '1'], { cwd: repo });
    await waitFor(async () => (await json('1')).waiting !== null, 'the demo agent to ask its question');
  });
  after(() => sandbox.cleanup());

  it('lists the tasks and follows what other processes change, without being asked', async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/›\s+1\s+alpha\s+idle \?\s+●\s+now\s+waits for an answer to its question/);
      assert.match(row(terminal, 'beta'), /^\s+2\s+beta\s+draft\s+now\s+Second task$/);
      assert.match(rows(terminal)[0]!, /^ orchestra · repo · 2 tasks: 1 idle, 1 draft, 1 waiting for you +\? help/);
      // Another process changes a status through the daemon …
      await sandbox.ok(['complete', '2'], { cwd: repo });
      await terminal.waitFor(/2\s+beta\s+completed/);
      // … a person edits the task file by hand …
      const file = join(repo, '.orchestra', 'tasks', '2:beta.md');
      writeFileSync(file, readFileSync(file, 'utf8').replace('status: completed', 'status: idle'));
      await terminal.waitFor(/2\s+beta\s+idle /);
      // … tasks come and go, and a file that cannot be read is said in the status line.
      await sandbox.ok(['new', 'gamma', '-m', 'Third task'], { cwd: repo });
      await terminal.waitFor(/3\s+gamma\s+draft/);
      const broken = join(repo, '.orchestra', 'tasks', '9:broken.md');
      writeFileSync(broken, '---\nstatus: [\n---\n');
      await terminal.waitFor(/cannot read .*9:broken\.md/);
      writeFileSync(broken, '---\nstatus: draft\n---\nRepaired\n');
      await terminal.waitFor(/9\s+broken\s+draft/);
      assert.doesNotMatch(terminal.screen(), /cannot read/);
      await sandbox.ok(['rm', '3'], { cwd: repo });
      rmSync(broken);
      await waitFor(() => !terminal.screen().includes('gamma') && !terminal.screen().includes('broken'), 'removed tasks to leave the list');
      await sandbox.ok(['set-status', '2', 'draft'], { cwd: repo });
      await terminal.waitFor(/2\s+beta\s+draft/);
      await quit(terminal);
    } finally {
      terminal.kill();
    }
  });

  it("previews the selected agent's live screen, cut to the pane and never wrapped, and is no viewer", async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/── 1:alpha · idle · demo · 120×36 · waits for an answer to its question/);
      await terminal.waitFor("Question: what should the file's last line say? >");
      assert.equal((await json('1')).viewers, 0, 'the preview does not count as a viewer');
      // What the agent draws shows as it draws it; a line wider than the pane is cut at its edge.
      // 109 columns: one line on the agent's 120-column screen, more than the 80-column pane.
      const long = `typed elsewhere ${'x'.repeat(40)}END`;
      await sandbox.ok(['send', '1', long], { cwd: repo });
      // The agent's terminal echoes it a character at a time: wait for all of it.
      await waitFor(async () => (await sandbox.ok(['peek', '1'], { cwd: repo })).includes(`${'x'.repeat(40)}END`), 'the agent to echo the whole line');
      await waitFor(() => rows(terminal).some((line) => line.startsWith('Question:') && line.length === 80), 'the preview to show the line cut at the pane edge');
      assert.doesNotMatch(terminal.screen(), /END/, 'nothing of the cut part wraps onto the next row');
      // A wider terminal shows more of it.
      terminal.resize(140, 30);
      await terminal.waitFor(/x+END/);
      // The whole summary (the question is still waiting, unless the typed line no longer shows it), then help at the right.
      assert.match(rows(terminal)[0]!, /1 draft(, 1 waiting for you)? +\? help\s*$/);
      terminal.resize(80, 24);
      await terminal.waitFor(/1:alpha · idle/);
      await sandbox.ok(['send', '1', '!', '--enter'], { cwd: repo });
      await terminal.waitFor(/Added "typed elsewhere x+END!"/);
      await quit(terminal);
    } finally {
      terminal.kill();
    }
  });

  it('attaches with Enter, and ctrl-\\ comes back to the dashboard', async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/›\s+1\s+alpha/);
      // Enter, and typing on at once: what follows the Enter is the agent's, and a second Enter attaches no second time.
      terminal.write('\r\rFrom the dashboard\r');
      // The agent's own terminal, full screen, at this terminal's size.
      await terminal.waitFor(/^Demo agent · task 1:alpha/);
      await terminal.waitFor('(demo) I heard: From the dashboard');
      assert.doesNotMatch(terminal.screen(), /orchestra ·/);
      await waitFor(async () => (await json('1')).viewers === 1, 'the attach to count as a viewer');
      terminal.write('\x1c');
      await terminal.waitFor(/detached from 1:alpha/);
      await terminal.waitFor(/orchestra · repo · 2 tasks/);
      // The preview is back and shows what happened while attached.
      await terminal.waitFor('(demo) I heard: From the dashboard');
      await waitFor(async () => (await json('1')).viewers === 0, 'the viewer to be gone');
      await quit(terminal);
    } finally {
      terminal.kill();
    }
  });

  it('starts, stops, completes, reviews and merges with keys, each saying how it went', async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/›\s+1\s+alpha/);
      terminal.write('j');
      await terminal.waitFor(/›\s+2\s+beta\s+draft/);
      await terminal.waitFor(/2:beta · draft · no agent runs/);
      terminal.write('s');
      await terminal.waitFor(/Started 2:beta with demo in\s+\/\S+; enter attaches\./);
      await terminal.waitFor(/── 2:beta · .* · demo · 80×24/);
      await terminal.waitFor("Question: what should the file's last line say? >");
      // A merge is asked first, and refused by the same checks as the CLI's.
      terminal.write('m');
      await terminal.waitFor(/Merge 2:beta into main\? y merge commit · s squash/);
      terminal.write('y');
      await terminal.waitFor(/Task 2:beta's agent is still running/);
      terminal.write('x');
      await terminal.waitFor(/Stopped 2:beta \(.*\); its worktree stays/);
      await terminal.waitFor(/2:beta · idle · no agent runs · its last screen \((?:exit code \d+|it was stopped)\)/);
      assert.match(terminal.screen(), /Question: what should the file's last line say\? >/);
      terminal.write('c');
      await terminal.waitFor(/2:beta is completed\./);
      await terminal.waitFor(/2\s+beta\s+completed\s+now\s+\+1, 1 file, clean/);
      terminal.write('r');
      await terminal.waitFor(/2:beta is reviewed\./);
      terminal.write('m');
      await terminal.waitFor(/Merge 2:beta into main \(1 commit, 1 file, clean\)\?/);
      terminal.write('n');
      await terminal.waitFor('Did not merge 2:beta.');
      assert.doesNotMatch(git(repo, 'log', '--format=%s', '-1'), /beta/);
      terminal.write('m');
      await terminal.waitFor(/Merge 2:beta into main/);
      terminal.write('y');
      await terminal.waitFor(/Merged 2:beta into main with a merge commit: [0-9a-f]{12}\./);
      assert.equal(git(repo, 'log', '--format=%s', '-1'), 'Merge task 2:beta: Second task');
      await terminal.waitFor(/2\s+beta\s+reviewed\s+now\s+merged [0-9a-f]{7}/);
      await quit(terminal);
    } finally {
      terminal.kill();
    }
  });

  it('creates a task with n and edits one with e in $EDITOR; / filters; ? lists the keys', async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/›\s+1\s+alpha/);
      terminal.write('n');
      await terminal.waitFor('New task, its slug');
      terminal.write('Bad Slug\r');
      await terminal.waitFor("'Bad Slug' is not a valid slug");
      terminal.write('n');
      await terminal.waitFor('New task, its slug');
      terminal.write('delta\r');
      await terminal.waitFor(/Created \d+:delta \(draft\); s starts its agent\./);
      await terminal.waitFor(/›\s+\d+\s+delta\s+draft/);
      assert.equal((await json('delta')).description, 'Described in the editor.\n');
      terminal.write('e');
      await terminal.waitFor(/Saved \d+:delta\./);
      assert.match((await json('delta')).description, /Edited in the editor\./);
      // The filter applies as it is typed; Esc clears it.
      terminal.write('/alp');
      await terminal.waitFor(/filter: alp/);
      await waitFor(() => !terminal.screen().includes('delta') && terminal.screen().includes('alpha'), 'the filter to hide the other tasks');
      terminal.write('\r\x1b');
      await terminal.waitFor(/\d+\s+delta/);
      terminal.write('?');
      await terminal.waitFor('any key closes this help');
      terminal.write(' ');
      await waitFor(() => !terminal.screen().includes('any key closes this help'), 'the help to close');
      await quit(terminal);
    } finally {
      terminal.kill();
    }
  });

  it('connects again when the daemon goes away, and comes back from ctrl-z where nobody stops it', async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/›\s+1\s+alpha/);
      process.kill(await sandbox.daemonPid(), 'SIGKILL');
      await terminal.waitFor(/lost the daemon/);
      await terminal.waitFor(/connected to the daemon again/);
      await sandbox.ok(['set-status', '2', 'idle'], { cwd: repo });
      await terminal.waitFor(/2\s+beta\s+idle/);
      // sh -c does no job control: the stop is discarded and the dashboard is back at once.
      terminal.write('\x1a');
      await terminal.waitFor(/orchestra · repo/);
      await sandbox.ok(['set-status', '2', 'reviewed'], { cwd: repo });
      await terminal.waitFor(/2\s+beta\s+reviewed/);
      await quit(terminal);
    } finally {
      terminal.kill();
    }
  });

  it('gives the terminal back as it was when it quits, and when it is killed', async () => {
    const terminal = dashboard();
    try {
      await terminal.waitFor(/›\s+1\s+alpha/);
      await quit(terminal);
      assert.match(terminal.screen(), /^before the dashboard\nafter the dashboard: 0 icanon/);
      assert.equal(terminal.xterm.buffer.active.type, 'normal');
      assert.ok(terminal.transcript.lastIndexOf('\x1b[?25h') > terminal.transcript.lastIndexOf('\x1b[?25l'), 'the cursor is visible again');
    } finally {
      terminal.kill();
    }
    const killed = new TestTerminal(process.execPath, [CLI, 'ui'], { cwd: repo, env: sandbox.env, cols: 80, rows: 24 });
    try {
      await killed.waitFor(/›\s+1\s+alpha/);
      process.kill(killed.pty.pid, 'SIGTERM');
      await killed.waitExit();
      await killed.flush();
      assert.equal(killed.xterm.buffer.active.type, 'normal');
      assert.ok(killed.transcript.lastIndexOf('\x1b[?25h') > killed.transcript.lastIndexOf('\x1b[?25l'));
    } finally {
      killed.kill();
    }
  });

  it('says in one sentence why it cannot run: no terminal, no project', async () => {
    const piped = await sandbox.run(['ui'], { cwd: repo });
    assert.equal(piped.code, 2);
    assert.equal(piped.stderr, "orchestra: ui needs a terminal; 'orchestra status' prints the same overview, and 'orchestra status --watch' follows it.\n");
    const outside = new TestTerminal(process.execPath, [CLI, 'ui'], { cwd: sandbox.root, env: sandbox.env, cols: 80, rows: 24 });
    try {
      assert.equal(await outside.waitExit(), 1);
      assert.match(outside.transcript, /^orchestra: \S+ is not inside a git repository; run orchestra inside one \(or 'git init' first\)\.\r\n$/);
      assert.equal(outside.xterm.buffer.active.type, 'normal', 'the terminal was never taken');
    } finally {
      outside.kill();
    }
  });

  it('uses colour only without NO_COLOR, and --all shows every project', async () => {
    const plain = dashboard();
    try {
      await plain.waitFor(/Question:/);
      await quit(plain);
      assert.doesNotMatch(plain.transcript, /\x1b\[[0-9;]*(?:3[0-7]|9[0-7]|38;)[0-9;]*m/, 'no colour with NO_COLOR');
    } finally {
      plain.kill();
    }
    const other = sandbox.repo('other');
    await sandbox.ok(['new', 'elsewhere', '-m', 'In another project'], { cwd: other });
    const coloured = dashboard({ env: { NO_COLOR: '' }, args: ['--all'] });
    try {
      await coloured.waitFor(/orchestra · all projects/);
      await coloured.waitFor(/1\s+other\s+elsewhere\s+draft/);
      assert.match(coloured.screen(), /1\s+repo\s+alpha\s+idle/);
      assert.match(coloured.transcript, /\x1b\[33m/, 'idle is yellow');
      await quit(coloured);
    } finally {
      coloured.kill();
    }
  });
});
