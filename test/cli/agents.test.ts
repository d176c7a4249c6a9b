import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { processTable } from '../helpers/processes.js';
import { alive, CLI, git, Sandbox, waitFor } from '../helpers/sandbox.js';
import { TestTerminal } from '../helpers/terminal.js';

/** A test agent whose input box, like Claude Code's, takes text and Enter in one read as a paste (test/helpers/prompt-app.ts). */
const PROMPT_APP = fileURLToPath(new URL('../helpers/prompt-app.js', import.meta.url));

/** Live processes (zombies are dead, waiting to be reaped) whose process group is `pgid` (the agent leads its own group). */
function groupMembers(pgid: number): number[] {
  return processTable()
    .filter((row) => row.pgid === pgid && !row.stat.startsWith('Z'))
    .map((row) => row.pid);
}

/**
 * A test agent that turns on what a TUI would — the alternate screen, bracketed paste, mouse with SGR encoding,
 * app cursor keys, a hidden cursor, a bar cursor, kitty keyboard flags, a title — then
 * echoes lines, and says when it is asked to redraw (SIGWINCH).
 */
const MODES_AGENT = `
process.stdout.write('\\x1b[?1049h\\x1b[?2004h\\x1b[?1000h\\x1b[?1006h\\x1b[?1h\\x1b[?25l\\x1b[5 q\\x1b[>5u\\x1b]2;agent-title\\x07');
process.stdout.write('modes agent ready\\n');
let winches = 0;
process.on('SIGWINCH', () => process.stdout.write('winch ' + ++winches + '\\n'));
process.stdout.on('resize', () => process.stdout.write('size ' + process.stdout.columns + 'x' + process.stdout.rows + '\\n'));
require('readline').createInterface({ input: process.stdin }).on('line', (l) => process.stdout.write('got: ' + l + '\\n'));
`;

/** A test agent with text on both screens, that switches between them when asked. */
const SCREENS_AGENT = `
process.stdout.write('MAIN-'.repeat(15) + '\\n' + 'MAIN-'.repeat(15) + '\\n\\x1b[?1049h\\x1b[Halt screen\\n');
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'main') process.stdout.write('\\x1b[?1049lback on main\\n');
  if (line === 'alt') process.stdout.write('\\x1b[?1049h\\x1b[H\\x1b[2Jalt again\\n');
});
`;

/** A test agent that asks the terminal for its device attributes on 'q' and counts the answers it gets. */
const QUERY_AGENT = `
process.stdin.setRawMode(true);
let pending = '';
let answers = 0;
process.stdin.on('data', (data) => {
  pending += data.toString('latin1');
  if (pending.includes('q')) { pending = pending.replace('q', ''); process.stdout.write('\\x1b[c'); }
  const found = pending.match(/\\x1b\\[\\?[\\d;]*c/g) || [];
  pending = pending.replace(/\\x1b\\[\\?[\\d;]*c/g, '');
  for (const _ of found) process.stdout.write('answers ' + ++answers + '\\r\\n');
});
process.stdout.write('query agent ready\\r\\n');
`;

describe('running agents', () => {
  const sandbox = new Sandbox();
  let repo: string;
  // bash turns bracketed paste on at each prompt; off, the modes seen after a detach are attach's doing.
  const shellEnv = () => {
    writeFileSync(join(sandbox.root, 'inputrc'), 'set enable-bracketed-paste off\n');
    return { ...sandbox.env, PS1: '$ ', INPUTRC: join(sandbox.root, 'inputrc') };
  };
  const task = (id: number) => sandbox.ok(['show', String(id), '--json'], { cwd: repo }).then((out) => JSON.parse(out));

  before(async () => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(
      join(repo, '.orchestra', 'config.yaml'),
      [
        'agent: demo',
        'agents:',
        `  modes: { command: ${JSON.stringify([process.execPath, '-e', MODES_AGENT])} }`,
        `  sleeper: { command: ${JSON.stringify(['/bin/sh', '-c', 'sleep 300 & sleep 300 & echo sleeping; wait'])} }`,
        `  quitter: { command: ${JSON.stringify(['/bin/sh', '-c', 'echo about to fail; sleep 1.5; exit 7'])} }`,
        `  screens: { command: ${JSON.stringify([process.execPath, '-e', SCREENS_AGENT])} }`,
        `  query: { command: ${JSON.stringify([process.execPath, '-e', QUERY_AGENT])} }`,
        `  prompter: { command: ${JSON.stringify([process.execPath, PROMPT_APP, '--bracketed-paste'])} }`,
        `  counter: { command: ${JSON.stringify(['/bin/sh', '-c', 'seq 1 100; printf "\\033[1;31mred\\033[0m\\n"; exec sleep 300'])} }`,
        '',
      ].join('\n'),
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'orchestra config');
  });
  after(() => sandbox.cleanup());

  it('starts an agent in a new worktree on its own branch, and says so', async () => {
    await sandbox.ok(['new', 'greet', '-m', 'Write a greeting'], { cwd: repo });
    const out = await sandbox.ok(['start', '1'], { cwd: repo });
    const t = await task(1);
    // Running, or (the demo agent works fast here) already waiting for its question's answer.
    assert.ok(t.status === 'running' || t.waiting, `status ${t.status}`);
    assert.equal(t.branch, 'orchestra/1-greet');
    assert.ok(t.worktree.startsWith(join(sandbox.home, 'data', 'worktrees')), 'worktrees live outside the repository');
    assert.match(out, /Started 1:greet with demo in .*1-greet \(branch orchestra\/1-greet\)/);
    assert.equal(git(t.worktree, 'rev-parse', '--abbrev-ref', 'HEAD'), 'orchestra/1-greet');
    const status = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    assert.deepEqual([status[0].alive, status[0].viewers], [true, 0]);
    await waitFor(async () => (await task(1)).waiting === 'an answer to its question', 'the task to wait for the answer to its question');
    assert.equal((await task(1)).status, 'idle');
    // The description reached the agent as its first prompt, after the preamble.
    await waitFor(async () => (await sandbox.ok(['peek', '1'], { cwd: repo })).includes('Question:'), 'the demo agent to ask');
    const screen = await sandbox.ok(['peek', '1'], { cwd: repo });
    assert.match(screen, /Task: Write a greeting/);
  });

  it('refuses a second start of a running task', async () => {
    const result = await sandbox.run(['start', '1'], { cwd: repo });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "orchestra: Task 1:greet's agent is running already; attach to it with 'orchestra attach 1'.\n");
  });

  it('attaches in a terminal: the screen at once, typing, ctrl-\\ detaches and the terminal is as it was', async () => {
    const shell = new TestTerminal('/bin/bash', ['--norc', '--noprofile'], { cwd: repo, env: shellEnv() });
    try {
      shell.write('echo before-attach\r');
      await shell.waitFor('before-attach\n$');
      shell.write(`${process.execPath} ${CLI} attach 1\r`);
      // The agent drew this before anyone attached: it comes from the holder's screen, not a repaint.
      await shell.waitFor('Question: what should the file');
      assert.ok(!shell.screen().includes('before-attach'), 'attach shows the agent on a screen of its own');
      const viewers = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }))[0].viewers;
      assert.equal(viewers, 1, 'status counts the attached terminal');
      shell.write('hello from the test\r');
      await shell.waitFor('Added "hello from the test"');
      shell.write('\x1c');
      await shell.waitFor('[detached from 1:greet]');
      await shell.waitFor(/\$ $/m);
      const screen = shell.screen();
      assert.ok(screen.includes('before-attach'), `the user's screen is back:\n${screen}`);
      assert.equal(shell.xterm.buffer.active.type, 'normal');
      shell.write('stty -a | tr " " "\\n" | grep -E "^-?(icanon|echo)$" | tr "\\n" " "; echo\r');
      await shell.waitFor('icanon echo');
    } finally {
      shell.kill();
    }
    // Answered: idle at its prompt, waiting for nothing.
    await waitFor(async () => (await task(1)).waiting === null, 'the answer to be taken');
    const t = await task(1);
    assert.equal(t.status, 'idle');
    assert.ok(t.alive, 'detaching leaves the agent running');
    const file = readFileSync(join(t.worktree, 'demo-1-greet.md'), 'utf8');
    assert.match(file, /hello from the test/, 'what was typed reached the agent');
    assert.match(git(t.worktree, 'log', '--format=%s', '-1'), /demo: greet: answer/);
  });

  it('turns off on detach every mode the agent turned on, and follows resizes', async () => {
    await sandbox.ok(['new', 'modes', '-m', 'Turn on modes', '--agent', 'modes'], { cwd: repo });
    await sandbox.ok(['start', 'modes'], { cwd: repo });
    const shell = new TestTerminal('/bin/bash', ['--norc', '--noprofile'], { cwd: repo, env: shellEnv(), cols: 90, rows: 25 });
    try {
      shell.write(`${process.execPath} ${CLI} attach modes\r`);
      await shell.waitFor('modes agent ready');
      await shell.flush();
      assert.equal(shell.xterm.modes.bracketedPasteMode, true, 'the snapshot carries the modes the agent set');
      assert.equal(shell.xterm.modes.mouseTrackingMode, 'vt200');
      // What the serialize addon leaves out, the holder replays.
      for (const sequence of ['\x1b[?1006h', '\x1b[?25l', '\x1b[5 q', '\x1b[>5u', '\x1b]2;agent-title\x07']) {
        assert.ok(shell.transcript.includes(sequence), `the snapshot sets ${JSON.stringify(sequence)}`);
      }
      // The user's window changes size: the agent's terminal follows.
      shell.resize(70, 20);
      await shell.waitFor('size 70x20');
      // A detach key inside a bracketed paste is text, not a detach. (Not 0x1c here: this
      // agent's terminal is cooked, where that byte is SIGQUIT.)
      shell.write('\x1b[200~pasted\x1b[92;5u\x1b[201~\r');
      await waitFor(async () => (await sandbox.ok(['peek', 'modes'], { cwd: repo })).includes('got: pasted'), 'the paste to arrive');
      // The kitty keyboard protocol's ctrl-\ detaches too.
      shell.write('\x1b[92;5u');
      await shell.waitFor('[detached from 2:modes]');
      await shell.flush();
      const modes = shell.xterm.modes;
      assert.deepEqual(
        [modes.bracketedPasteMode, modes.mouseTrackingMode, modes.applicationCursorKeysMode, shell.xterm.buffer.active.type],
        [false, 'none', false, 'normal'],
      );
      const after = shell.transcript.slice(shell.transcript.lastIndexOf('\x1b[?1049l') - 400);
      for (const reset of ['\x1b[?1006l', '\x1b[?25h', '\x1b[0 q', '\x1b[=0;1u', '\x1b[r', '\x1b[23;0t']) {
        assert.ok(after.includes(reset), `detaching resets with ${JSON.stringify(reset)}`);
      }
      // Attaching again at the same size still makes the agent redraw, once.
      const winches = (await sandbox.ok(['peek', 'modes'], { cwd: repo })).match(/winch (\d+)/g)?.length ?? 0;
      shell.write(`${process.execPath} ${CLI} attach modes\r`);
      await waitFor(async () => (await sandbox.ok(['peek', 'modes'], { cwd: repo })).includes(`winch ${winches + 1}`), 'a repaint on attach');
      await shell.waitFor('got: pasted');
      await shell.flush();
      assert.deepEqual([shell.xterm.modes.bracketedPasteMode, shell.xterm.modes.mouseTrackingMode], [true, 'vt200'], 'attached again, the modes again');
      shell.write('\x1c');
      await shell.waitFor(/detached from 2:modes\][^]*detached from 2:modes\]/);
    } finally {
      shell.kill();
    }
    assert.ok((await task(2)).alive);
  });

  it('says so when there is nothing to attach to', async () => {
    await sandbox.ok(['new', 'idle-one', '-m', 'Nothing yet'], { cwd: repo });
    const result = await sandbox.run(['attach', 'idle-one'], { cwd: repo });
    assert.equal(result.code, 1);
    assert.equal(result.stderr, "orchestra: Task 3:idle-one's agent is not running; start it with 'orchestra start 3'.\n");
    assert.equal((await sandbox.run(['peek', 'idle-one'], { cwd: repo })).code, 1);
  });

  it('keeps every agent through a kill -9 of the daemon, and finds them again', async () => {
    const before = sandbox.holders();
    assert.equal(before.length, 2);
    process.kill(await sandbox.daemonPid(), 'SIGKILL');
    for (const holder of before) assert.ok(alive(holder.pid) && alive(holder.agent_pid));
    const status = JSON.parse(await sandbox.ok(['status', '--json'], { cwd: repo }));
    assert.deepEqual(
      status.filter((t: { alive: boolean }) => t.alive).map((t: { ref: string }) => t.ref),
      ['1:greet', '2:modes'],
    );
    assert.match(await sandbox.ok(['peek', '1'], { cwd: repo }), /Added "hello from the test"/);
  });

  it('types into an agent without attaching', async () => {
    await sandbox.ok(['send', 'modes', '007 keys'], { cwd: repo });
    await sandbox.ok(['send', 'modes', ' and more', '--enter'], { cwd: repo });
    await waitFor(async () => (await sandbox.ok(['peek', 'modes'], { cwd: repo })).includes('got: 007 keys and more'), 'the keys to arrive');
    const result = await sandbox.run(['send', 'idle-one', 'x'], { cwd: repo });
    assert.equal(result.stderr, "orchestra: Task 3:idle-one's agent is not running; start it with 'orchestra start 3'.\n");
  });

  it('stops an agent and everything in its process group, and keeps the worktree', async () => {
    await sandbox.ok(['new', 'sleepy', '-m', 'Sleep', '--agent', 'sleeper'], { cwd: repo });
    await sandbox.ok(['start', 'sleepy'], { cwd: repo });
    await waitFor(async () => (await sandbox.ok(['peek', 'sleepy'], { cwd: repo })).includes('sleeping'), 'the agent to start');
    const holder = sandbox.holders().find((h) => h.task.id === 4)!;
    assert.ok(groupMembers(holder.agent_pid).length >= 3, 'the shell and its two sleeps');
    const out = await sandbox.ok(['stop', 'sleepy'], { cwd: repo });
    assert.match(out, /^Stopped 4:sleepy \((exit code \d+|killed by SIG[A-Z]+)\); its worktree .* is kept/);
    assert.deepEqual(groupMembers(holder.agent_pid), []);
    assert.ok(!alive(holder.pid), 'the holder has gone');
    const t = await task(4);
    assert.equal(t.status, 'idle');
    assert.equal(t.alive, false);
    assert.ok(existsSync(t.worktree));
    assert.match(await sandbox.ok(['stop', 'sleepy'], { cwd: repo }), /has no running agent; nothing to stop/);
  });

  it('notices an agent that exits on its own: idle, with its exit code', async () => {
    await sandbox.ok(['new', 'quits', '-m', 'Fail', '--agent', 'quitter'], { cwd: repo });
    await sandbox.ok(['start', 'quits'], { cwd: repo });
    await waitFor(async () => (await task(5)).status === 'idle', 'the task to go idle');
    const t = await task(5);
    assert.equal(t.exit_code, 7);
    assert.equal(t.alive, false);
    const log = await sandbox.ok(['logs', 'quits'], { cwd: repo });
    assert.match(log, /agent ended: exit code 7\n/);
    assert.match(log, /--- the agent's last screen ---\nabout to fail\n--- end of screen ---/, 'its last words are kept');
  });

  it('notices a holder that is killed: idle, and nothing of its agent is left', async () => {
    await sandbox.ok(['new', 'doomed', '-m', 'x', '--agent', 'sleeper'], { cwd: repo });
    await sandbox.ok(['start', 'doomed'], { cwd: repo });
    const holder = sandbox.holders().find((h) => h.task.id === 6)!;
    process.kill(holder.pid, 'SIGKILL');
    await waitFor(async () => (await task(6)).status === 'idle', 'the task to go idle');
    await waitFor(() => groupMembers(holder.agent_pid).length === 0, 'the agent to be ended');
    assert.match(await sandbox.ok(['logs', 'doomed'], { cwd: repo }), /agent ended: its exit status is unknown \(its holder process died\)/);
  });

  it('starts and attaches at once; peek shows scrollback and colours on request', async () => {
    await sandbox.ok(['new', 'counts', '-m', 'x', '--agent', 'counter'], { cwd: repo });
    const terminal = new TestTerminal(process.execPath, [CLI, 'start', 'counts', '--attach'], { cwd: repo, env: sandbox.env, rows: 20 });
    try {
      await terminal.waitFor(/^100\nred$/m);
      terminal.write('\x1c');
      await terminal.waitFor('[detached from 7:counts]');
      assert.equal(await terminal.waitExit(), 0);
    } finally {
      terminal.kill();
    }
    const screen = await sandbox.ok(['peek', 'counts'], { cwd: repo });
    assert.match(screen, /^83\n(.*\n)*100\nred\n$/, 'the visible 20 rows, the last one where the cursor waits');
    const all = await sandbox.ok(['peek', 'counts', '--lines', '1000'], { cwd: repo });
    assert.match(all, /^1\n2\n3\n(.*\n)*100\nred\n/);
    assert.match(await sandbox.ok(['peek', 'counts', '--ansi'], { cwd: repo }), /\x1b\[[0-9;]*31[0-9;]*mred/);
    assert.equal((await sandbox.run(['peek', 'counts', '--lines', 'many'], { cwd: repo })).code, 2);
    await sandbox.ok(['stop', 'counts', '--force'], { cwd: repo });
  });

  it('resumes the conversation when a stopped task starts again, in the same worktree', async () => {
    const first = await task(1);
    await sandbox.ok(['stop', '1'], { cwd: repo });
    await sandbox.ok(['start', '1'], { cwd: repo });
    const again = await task(1);
    assert.equal(again.worktree, first.worktree);
    await waitFor(async () => (await sandbox.ok(['peek', '1'], { cwd: repo })).includes('Resuming the previous conversation'), 'the demo agent to resume');
    await sandbox.ok(['stop', '1', '--force'], { cwd: repo });
  });

  it('gives the agent the environment of the shell that ran start', async () => {
    writeFileSync(join(repo, 'env-agent.sh'), 'echo "key=$MY_API_KEY task=$ORCHESTRA_TASK_ID root=$ORCHESTRA_PROJECT_ROOT sock=${ORCHESTRA_SOCKET:+set}"; sleep 30\n');
    await sandbox.ok(['new', 'envy', '-m', 'Env'], { cwd: repo });
    const config = join(repo, '.orchestra', 'config.yaml');
    writeFileSync(config, `${readFileSync(config, 'utf8')}  envy: { command: [sh, ${join(repo, 'env-agent.sh')}] }\n`);
    await sandbox.ok(['start', 'envy', '--agent', 'envy'], { cwd: repo, env: { MY_API_KEY: 'sk-from-the-shell' } });
    await waitFor(async () => (await sandbox.ok(['peek', 'envy'], { cwd: repo })).includes('key='), 'the agent to print');
    assert.match(await sandbox.ok(['peek', 'envy'], { cwd: repo }), new RegExp(`key=sk-from-the-shell task=8 root=${repo} sock=set`));
    await sandbox.ok(['stop', 'envy', '--force'], { cwd: repo });
  });

  it('stops the agents of a project that was deleted, since nothing else could reach them', async () => {
    const doomed = sandbox.repo('doomed-project');
    await sandbox.ok(['new', 'lost', '-m', 'x', '--agent', 'demo'], { cwd: doomed });
    await sandbox.ok(['start', 'lost'], { cwd: doomed });
    const holder = sandbox.holders().find((h) => h.task.project === doomed)!;
    rmSync(doomed, { recursive: true, force: true });
    // A new daemon looks at every holder it finds.
    process.kill(await sandbox.daemonPid(), 'SIGKILL');
    await sandbox.ok(['status'], { cwd: repo });
    await waitFor(() => !alive(holder.pid) && groupMembers(holder.agent_pid).length === 0, 'the orphaned agent to be stopped');
  });

  it('lets only one attached terminal answer the agent\'s queries, however many watch', async () => {
    await sandbox.ok(['new', 'asks', '-m', 'x', '--agent', 'query'], { cwd: repo });
    await sandbox.ok(['start', 'asks'], { cwd: repo });
    const viewers = [0, 1].map(() => new TestTerminal(process.execPath, [CLI, 'attach', 'asks'], { cwd: repo, env: sandbox.env }));
    try {
      for (const viewer of viewers) await viewer.waitFor('query agent ready');
      await waitFor(async () => JSON.parse(await sandbox.ok(['show', 'asks', '--json'], { cwd: repo })).viewers === 2, 'both viewers');
      // Both terminals answer each query; the agent hears one answer per query.
      await sandbox.ok(['send', 'asks', 'q'], { cwd: repo });
      await viewers[0]!.waitFor('answers 1');
      await sandbox.ok(['send', 'asks', 'q'], { cwd: repo });
      await viewers[0]!.waitFor('answers 2');
      assert.doesNotMatch(await sandbox.ok(['peek', 'asks'], { cwd: repo }), /answers 3/);
      // The answering terminal leaves: the other one answers now.
      viewers[1]!.write('\x1c');
      await viewers[1]!.waitExit();
      await sandbox.ok(['send', 'asks', 'q'], { cwd: repo });
      await viewers[0]!.waitFor('answers 3');
      viewers[0]!.write('\x1c');
      await viewers[0]!.waitExit();
      // Nobody attached: the holder's own terminal answers.
      await sandbox.ok(['send', 'asks', 'q'], { cwd: repo });
      await waitFor(async () => (await sandbox.ok(['peek', 'asks'], { cwd: repo })).includes('answers 4'), 'the holder to answer');
      assert.doesNotMatch(await sandbox.ok(['peek', 'asks'], { cwd: repo }), /answers 5/);
    } finally {
      for (const viewer of viewers) viewer.kill();
    }
    await sandbox.ok(['stop', 'asks', '--force'], { cwd: repo });
  });

  it("shows the agent's main and alternate screen on the user's alternate screen, whichever the agent switches to", async () => {
    await sandbox.ok(['new', 'screens', '-m', 'Switch screens', '--agent', 'screens'], { cwd: repo });
    await sandbox.ok(['start', 'screens'], { cwd: repo });
    const shell = new TestTerminal('/bin/bash', ['--norc', '--noprofile'], { cwd: repo, env: shellEnv(), cols: 90, rows: 25 });
    const onScreen = () => shell.xterm.buffer.active.type;
    try {
      shell.write('echo the-user-s-own-line\r');
      await shell.waitFor(/^the-user-s-own-line/m);
      shell.write(`${process.execPath} ${CLI} attach screens\r`);
      await shell.waitFor('alt screen');
      assert.doesNotMatch(shell.screen(), /MAIN-/, 'the alternate screen alone, nothing of the main one left over');
      shell.write('main\r');
      // The switch's own output may be drawn first; the main screen follows as a snapshot.
      await shell.waitFor(/^(MAIN-){15}$[^]*back on main/m);
      assert.doesNotMatch(shell.screen(), /the-user-s-own-line/, "the user's screen stays hidden");
      assert.equal(onScreen(), 'alternate');
      shell.write('alt\r');
      await shell.waitFor(/^(?![^]*MAIN-)[^]*alt again/);
      shell.write('\x1c');
      await shell.waitFor('[detached from');
      await shell.flush();
      assert.equal(onScreen(), 'normal');
      assert.match(shell.screen(), /^the-user-s-own-line/m, "the user's screen is back");
      assert.doesNotMatch(shell.screen(), /MAIN-|back on main/, "and nothing of the agent's is on it");
    } finally {
      shell.kill();
      await sandbox.run(['stop', 'screens'], { cwd: repo });
    }
  });
  it('serves two viewers and a read-only one: the last to type owns the size, read-only never types or resizes, and each detach key encoding detaches', async () => {
    await sandbox.ok(['new', 'viewers', '-m', 'Be watched', '--agent', 'modes'], { cwd: repo });
    await sandbox.ok(['start', 'viewers'], { cwd: repo });
    const lastSize = async () => [...(await sandbox.ok(['peek', 'viewers'], { cwd: repo })).matchAll(/size (\d+x\d+)/g)].pop()?.[1];
    const open = (args: string[], cols: number, rows: number) => new TestTerminal(process.execPath, [CLI, 'attach', 'viewers', ...args], { cwd: repo, env: sandbox.env, cols, rows });
    const a = open([], 90, 25);
    const terminals = [a];
    try {
      await a.waitFor('modes agent ready');
      const b = open([], 70, 20);
      terminals.push(b);
      await b.waitFor('modes agent ready');
      await waitFor(async () => (await lastSize()) === '70x20', 'the last viewer to attach to own the size');
      const r = open(['--read-only'], 100, 30);
      terminals.push(r);
      await r.waitFor('modes agent ready');
      a.write('from-a\r');
      for (const t of terminals) await t.waitFor('got: from-a');
      await waitFor(async () => (await lastSize()) === '90x25', 'the viewer that typed to own the size');
      r.write('from-r\r');
      r.resize(110, 35);
      a.write('after-r\r');
      for (const t of terminals) await t.waitFor('got: after-r');
      assert.doesNotMatch(await sandbox.ok(['peek', 'viewers'], { cwd: repo }), /from-r/, 'a read-only viewer cannot type');
      assert.equal(await lastSize(), '90x25', 'nor resize');
      // Detach by each encoding of ctrl-\: modifyOtherKeys, the kitty keyboard protocol, the byte.
      a.write('\x1b[27;5;92~');
      b.write('\x1b[92;5u');
      r.write('\x1c');
      for (const t of terminals) assert.equal(await t.waitExit(), 0);
      for (const t of terminals) assert.match(t.screen(), /\[detached from \d+:viewers\]/);
      assert.doesNotMatch(await sandbox.ok(['peek', 'viewers'], { cwd: repo }), /got: .*(\x1b|\[27|\[92)/, 'no detach key reached the agent');
    } finally {
      for (const t of terminals) t.kill();
    }
    assert.ok(JSON.parse(await sandbox.ok(['show', 'viewers', '--json'], { cwd: repo })).alive, 'the agent goes on');
    await sandbox.ok(['stop', 'viewers'], { cwd: repo });
  });

  it('sends a prompt of several lines that the agent takes as one, and submits it', async () => {
    await sandbox.ok(['new', 'prompted', '-m', 'x', '--agent', 'prompter'], { cwd: repo });
    await sandbox.ok(['start', 'prompted'], { cwd: repo });
    const screen = () => sandbox.ok(['peek', 'prompted'], { cwd: repo });
    await waitFor(async () => (await screen()).includes('prompt app ready'), 'the agent to start');
    await sandbox.ok(['send', 'prompted', 'Fix the tests.\nThen the docs.', '--enter'], { cwd: repo });
    await waitFor(async () => (await screen()).includes('PROMPT (pasted) "Fix the tests.\\nThen the docs."'), 'the prompt to be submitted', 5000).catch(async (error: Error) => {
      throw new Error(`${error.message}; the agent's screen:\n${await screen()}`);
    });
    await sandbox.ok(['stop', 'prompted'], { cwd: repo });
  });
});
