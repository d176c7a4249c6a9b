import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TaskInfo } from '../../protocol/daemon.js';
import { renderFrame } from '../../src/tui/layout.js';
import { CLI, Sandbox, waitFor } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

/** What a task file from a cloned repository may hold: a clipboard write (OSC 52), a window title (OSC 2), a clear screen, a C1 CSI, BEL, a right-to-left override. */
const HOSTILE = '\x1b]52;c;b3duZWQ=\x07\x1b]2;owned\x07\x1b[2J\x9b31m\x07\u202e';
/** The same as a person must see it. */
const SHOWN = '\\x1b]52;c;b3duZWQ=\\x07\\x1b]2;owned\\x07\\x1b[2J\\x9b31m\\x07\\u202e';
/** Anything a terminal would obey: C0 controls but line feed and tab, DEL, C1 controls, bidi overrides and isolates. */
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function assertShown(output: string, expected: string[], what: string): void {
  assert.doesNotMatch(output, RAW, `${what} prints no raw control character:\n${JSON.stringify(output)}`);
  for (const text of expected) assert.ok(output.includes(text), `${what} shows ${text}:\n${output}`);
}

/**
 * Text from task files, agents' reports and setup scripts reaches a person's terminal as
 * text (DESIGN.md §2: task files travel with git): `status`, `show`, `logs`, errors and `ui`
 * show control characters as escapes, and `--json` keeps them exact.
 */
describe('hostile text in task files', () => {
  const sandbox = new Sandbox();
  let repo: string;

  before(() => {
    repo = sandbox.repo();
    const orchestra = join(repo, '.orchestra');
    mkdirSync(join(orchestra, 'tasks'), { recursive: true });
    writeFileSync(join(orchestra, 'config.yaml'), 'agent: demo\n');
    // The setup script comes from the repository too; `logs` shows what it printed.
    writeFileSync(join(orchestra, 'setup.sh'), `#!/bin/sh\nprintf '%s\\n' 'se${HOSTILE}' '\x1b[32mgreen\x1b[0m'\nexit 3\n`);
    chmodSync(join(orchestra, 'setup.sh'), 0o755);
    const tasks = join(orchestra, 'tasks');
    writeFileSync(
      join(tasks, '1:evil.md'),
      `---\nstatus: idle\nagent: ag${HOSTILE}\nwaiting: wa${HOSTILE}\nupdated: up${HOSTILE}\nmerged_commit: \x1b[2J\nx${HOSTILE}: ex${HOSTILE}\n---\nti${HOSTILE}\nde${HOSTILE}\n\tindented\n`,
    );
    writeFileSync(join(tasks, '2:broken.md'), `---\nstatus: st${HOSTILE}\n---\n`);
    writeFileSync(join(tasks, '3:quiet.md'), `---\nbase_branch: main\n---\nti${HOSTILE}\n`);
    writeFileSync(join(tasks, `4:name\x1b]2;owned\x07.md`), 'A file name that is no task name\n');
  });
  after(() => sandbox.cleanup());

  it('status shows titles, reasons, agents, fields and unreadable files as text', async () => {
    const result = await sandbox.run(['status'], { cwd: repo });
    assert.equal(result.code, 0, result.stderr);
    assertShown(result.stdout, [`waits for wa${SHOWN}`, `ag${SHOWN}`, `ti${SHOWN}`, `up${SHOWN}`, 'merged \\x1b[2J'], 'status');
    assertShown(result.stderr, [`status 'st${SHOWN}'`, 'name\\x1b]2;owned\\x07.md'], 'status on stderr');
  });

  it('status --json keeps the exact text', async () => {
    const tasks: TaskInfo[] = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    const evil = tasks.find((task) => task.id === 1)!;
    assert.equal(evil.waiting, `wa${HOSTILE}`);
    assert.equal(evil.agent, `ag${HOSTILE}`);
    assert.equal(evil.title, `ti${HOSTILE}`);
    assert.equal(tasks.find((task) => task.id === 3)!.title, `ti${HOSTILE}`);
  });

  it('status --watch shows the text too', async () => {
    const out = await firstOutput(['status', '--watch'], `ti${SHOWN}`);
    assertShown(out, [`waits for wa${SHOWN}`, `ti${SHOWN}`], 'status --watch');
  });

  it('show shows the description with its lines and tabs, and every field as text', async () => {
    const out = await sandbox.ok(['show', '1'], { cwd: repo });
    assertShown(out, [`ti${SHOWN}\nde${SHOWN}\n\tindented\n`, `ag${SHOWN}`, `up${SHOWN}`, `x${SHOWN}  ex${SHOWN}`], 'show');
  });

  it('show --json keeps the exact text', async () => {
    const task = JSON.parse(await sandbox.ok(['show', '1', '--json'], { cwd: repo }));
    assert.equal(task.description, `ti${HOSTILE}\nde${HOSTILE}\n\tindented\n`);
    assert.deepEqual(task.extra, { [`x${HOSTILE}`]: `ex${HOSTILE}` });
  });

  it('an error that quotes a task file shows its text', async () => {
    const unreadable = await sandbox.run(['show', '2'], { cwd: repo });
    assert.equal(unreadable.code, 1);
    assertShown(unreadable.stderr, [`status 'st${SHOWN}'`], 'the error of show');
    // Task 1 says it was merged (and has no branch), which start refuses first, quoting that commit.
    const merged = await sandbox.run(['start', '1'], { cwd: repo });
    assert.equal(merged.code, 1, merged.stderr);
    assertShown(merged.stderr, ['merged into its base branch as \\x1b[2J'], 'the refusal of start');
    const unknownAgent = await sandbox.run(['start', '3', '--agent', `ag${HOSTILE}`], { cwd: repo });
    assert.equal(unknownAgent.code, 2, unknownAgent.stderr);
    assertShown(unknownAgent.stderr, [`There is no agent profile 'ag${SHOWN}'`], 'the error of start');
  });

  it('logs shows what the setup script printed, colours too, as text; --follow the same', async () => {
    const start = await sandbox.run(['start', '3'], { cwd: repo });
    assert.match(start.stderr, /The setup script .* failed with exit status 3/);
    const out = await sandbox.ok(['logs', '3'], { cwd: repo });
    assertShown(out, [`se${SHOWN}\n`, '\\x1b[32mgreen\\x1b[0m\n'], 'logs');
    assertShown(await firstOutput(['logs', '3', '--follow'], 'green'), [`se${SHOWN}\n`], 'logs --follow');
  });

  it('ui shows titles, reasons, agents and descriptions as text', async () => {
    // Wide enough for the agent column and the long texts.
    const terminal = new TestTerminal(process.execPath, [CLI, 'ui'], { cwd: repo, env: sandbox.env, cols: 320, rows: 30 });
    try {
      await terminal.waitFor(`waits for wa${SHOWN}`);
      await terminal.waitFor(`ag${SHOWN}`);
      // Only 3:quiet, whose description fills the pane.
      terminal.write('/quiet\r');
      await terminal.waitFor(`\n  ti${SHOWN}`);
      for (const sequence of ['\x1b]52', '\x1b]2;owned', '\x9b', '\x07', '\u202e']) {
        assert.ok(!terminal.transcript.includes(sequence), `ui wrote ${JSON.stringify(sequence)} from a task file`);
      }
      terminal.write('q');
      assert.equal(await terminal.waitExit(), 0);
    } finally {
      terminal.kill();
    }
  });

  it("the dashboard's list and its status line show them as text", () => {
    const task: TaskInfo = {
      ...{ id: 1, slug: 'evil', ref: '1:evil', status: 'idle', branch: null, worktree: null, created: null, exit_code: null, merged_commit: null },
      ...{ project: '/p', path: '/p/.orchestra/tasks/1:evil.md', alive: true, viewers: 0, changes: null },
      base_branch: `ma\u202ein`,
      agent: `ag${HOSTILE}`,
      updated: `up${HOSTILE}`,
      waiting: `wa${HOSTILE}`,
      title: `ti${HOSTILE}`,
    };
    const problem = { project: '/p', path: '/p/.orchestra/tasks/2:broken.md', reason: `status 'st${HOSTILE}' is not one of draft` };
    const lines = renderFrame({
      ...{ cols: 400, rows: 12, color: true, project: '/p', total: [task], tasks: [task], selected: 0, scroll: 0, filter: '' },
      ...{ problems: [problem], status: undefined, help: false, preview: () => ({ title: 'preview', lines: [] }) },
    });
    // The dashboard's own colours aside.
    const text = lines.join('\n').replace(/\x1b\[[0-9;]*m/g, '');
    assertShown(text, [`ag${SHOWN}`, `waits for wa${SHOWN}`, `st${SHOWN}`], 'the dashboard');
  });

  /** The first output of a command that runs until stopped, once it shows `until`. */
  async function firstOutput(args: string[], until: string): Promise<string> {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repo, env: sandbox.env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    try {
      await waitFor(() => out.includes(until), `orchestra ${args.join(' ')} to print ${until}`);
      return out;
    } finally {
      child.kill();
    }
  }
});
