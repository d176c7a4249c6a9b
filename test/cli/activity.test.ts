import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { JsonRpcClient } from '../../protocol/json-rpc-client.js';
import { git, Sandbox, waitFor } from '../helpers/sandbox.js';
import { TaskTimeline } from '../helpers/task-timeline.js';

/**
 * A small agent of ours that alternates work and prompts, like a coding agent without hooks:
 * it works (a spinner) for WORK_MS, then waits at a prompt; a line makes it work again, and
 * "ask" makes it ask a yes/no question first.
 */
const ALTERNATING_AGENT = `
const rl = require('readline').createInterface({ input: process.stdin });
const frames = '|/-\\\\';
let asking = false;
function work(then) {
  let i = 0;
  const timer = setInterval(() => process.stdout.write('\\rworking ' + frames[i++ % 4] + ' ' + i), 100);
  setTimeout(() => { clearInterval(timer); process.stdout.write('\\r\\n'); then(); }, 3000);
}
const prompt = () => process.stdout.write('ready > ');
rl.on('line', (line) => {
  if (asking) { asking = false; return work(prompt); }
  if (line === 'ask') { asking = true; return process.stdout.write('Apply the change? (y/n) '); }
  work(prompt);
});
work(prompt);
`;

/** Works (a spinner) for 1.5 s, rests 2.5 s, over and over, whatever it is told. */
const BLINKING_AGENT = `
let i = 0;
setInterval(() => { if (Date.now() % 4000 < 1500) process.stdout.write('\\rbusy ' + i++); }, 100);
process.stdin.resume();
`;

describe('what agents are doing: their screens, their hooks, the status that follows', () => {
  const sandbox = new Sandbox();
  let repo: string;
  const task = async (ref: string) => JSON.parse(await sandbox.ok(['show', ref, '--json'], { cwd: repo }));
  const statusIs = (ref: string, status: string, waiting: string | null = null) =>
    waitFor(async () => {
      const t = await task(ref);
      return t.status === status && t.waiting === waiting;
    }, `task ${ref} to be ${status}${waiting ? `, waiting for ${waiting}` : ''}`, 15_000);
  const log = async (ref: string) => sandbox.ok(['logs', ref], { cwd: repo });

  before(async () => {
    repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'), { recursive: true });
    writeFileSync(
      join(repo, '.orchestra', 'config.yaml'),
      [
        'agents:',
        '  alternating:',
        `    command: ${JSON.stringify([process.execPath, '-e', ALTERNATING_AGENT])}`,
        '    idle_after: 1',
        '    patterns:',
        "      - { match: '\\(y/n\\)$', status: waiting, reason: a yes or no }",
        `  sleeper: { command: ${JSON.stringify(['/bin/sh', '-c', 'echo sleeping; exec sleep 300'])}, idle_after: 1 }`,
        `  blinker: { command: ${JSON.stringify([process.execPath, '-e', BLINKING_AGENT])}, idle_after: 1 }`,
        'notify:',
        `  command: ${JSON.stringify(['/bin/sh', '-c', 'echo "$ORCHESTRA_EVENT $ORCHESTRA_TASK_REF $ORCHESTRA_STATUS $ORCHESTRA_WAITING" >> "$ORCHESTRA_PROJECT_ROOT/../notified"'])}`,
        '  on: [waiting, idle]',
        '',
      ].join('\n'),
    );
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', 'orchestra config');
  });
  after(() => sandbox.cleanup());

  it('follows an agent without hooks by its screen: running while it changes, idle when quiet, waiting at a question', async () => {
    await sandbox.ok(['new', 'alt', '-m', 'Alternate', '--agent', 'alternating'], { cwd: repo });
    await sandbox.ok(['start', 'alt'], { cwd: repo });
    // Running from the start, which the log's change to idle shows (a look at the task after
    // start may come after the 1 s quiet on a loaded machine).
    await statusIs('alt', 'idle');
    assert.match(await log('alt'), /status running → idle \(the screen has not changed for 1 s\)/);

    // A prompt sent without anyone attached: the echo is not work, what follows is.
    await sandbox.ok(['send', 'alt', 'go on', '--enter'], { cwd: repo });
    await statusIs('alt', 'running');
    assert.match(await log('alt'), /status idle → running \(the screen keeps changing\)/);
    await statusIs('alt', 'idle');

    await sandbox.ok(['send', 'alt', 'ask', '--enter'], { cwd: repo });
    await statusIs('alt', 'idle', 'a yes or no');
    const out = await sandbox.ok(['status'], { cwd: repo });
    assert.match(out, /● \?.*waits for a yes or no/, 'status marks it as waiting for a person');
    assert.match(await log('alt'), /status stays idle, waiting for a yes or no \(the screen shows "\(y\/n\)"\)/);

    // Completed stays completed while the agent waits; someone answering it makes it run again.
    await sandbox.ok(['complete', 'alt'], { cwd: repo });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await task('alt')).status, 'completed');
    await sandbox.ok(['send', 'alt', 'y', '--enter'], { cwd: repo });
    await statusIs('alt', 'running');
    await statusIs('alt', 'idle');

    // The notify command heard of each change it asked for, in order (it runs after the change is written).
    const lines = () => {
      try {
        return readFileSync(join(sandbox.root, 'notified'), 'utf8').trim().split('\n');
      } catch {
        return [];
      }
    };
    await waitFor(() => lines().length >= 4, 'four notifications');
    const notified = lines().map((line) => line.trimEnd());
    assert.deepEqual(notified, ['idle 1:alt idle', 'idle 1:alt idle', 'waiting 1:alt idle a yes or no', 'idle 1:alt idle']);

    await sandbox.ok(['stop', 'alt'], { cwd: repo });
    const stopped = await task('alt');
    assert.deepEqual([stopped.status, stopped.waiting], ['idle', null]);
  });

  it('takes what an agent says of itself through `orchestra hook`, over its screen, and refuses what it cannot use', async () => {
    await sandbox.ok(['new', 'hooked', '-m', 'Sleep', '--agent', 'sleeper'], { cwd: repo });
    await sandbox.ok(['start', 'hooked'], { cwd: repo });
    await statusIs('hooked', 'idle'); // Its screen is quiet.
    const hook = (event: string, input = '', env: Record<string, string> = { ORCHESTRA_TASK_ID: '2' }) => sandbox.run(['hook', event], { cwd: repo, input, env });

    assert.deepEqual(await hook('UserPromptSubmit'), { code: 0, stdout: '', stderr: '' }, 'silent when done');
    await statusIs('hooked', 'running');
    // The screen stays quiet, and says so no more: the agent's own word counts now.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await task('hooked')).status, 'running');

    assert.equal((await hook('PermissionRequest', JSON.stringify({ session_id: 's', tool_name: 'Bash', tool_input: { command: 'rm -rf build' } }))).code, 0);
    await statusIs('hooked', 'idle', 'permission to use Bash: rm -rf build');
    assert.match(await sandbox.ok(['status'], { cwd: repo }), /waits for permission to use Bash: rm -rf build/);
    assert.match(await log('hooked'), /status running → idle, waiting for permission to use Bash: rm -rf build \(hook PermissionRequest\)/);
    await hook('PostToolUse', '{"tool_name":"Bash"}');
    await statusIs('hooked', 'running');
    await hook('Stop', '{}');
    await statusIs('hooked', 'idle');
    // From another tool, with the task named and the reason given.
    assert.equal((await sandbox.run(['hook', 'waiting', '--task', 'hooked', '--reason', 'a review of the plan'], { cwd: repo, env: { ORCHESTRA_TASK_ID: '' } })).code, 0);
    await statusIs('hooked', 'idle', 'a review of the plan');

    const bad = await hook('Stpo');
    assert.deepEqual([bad.code, bad.stderr], [1, "orchestra: 'Stpo' is not an event orchestra hook knows (did you mean Stop?); use running, idle or waiting, or one of opencode's message.updated, session.status, permission.asked, permission.replied, question.asked, question.replied, question.rejected; claude's UserPromptSubmit, PreToolUse, PostToolUse, PostToolUseFailure, PermissionDenied, Stop, SubagentStart, SubagentStop, PermissionRequest, Notification.\n"]);
    const notJson = await hook('Stop', 'not json');
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /what came is not JSON/);
    const misnamed = await sandbox.run(['hook', 'Stop', '--task', 'hookd'], { cwd: repo, env: { ORCHESTRA_TASK_ID: '' } });
    assert.equal(misnamed.code, 1);
    assert.match(misnamed.stderr, /^orchestra: There is no task 'hookd'; did you mean 2:hooked\?/);

    // Not under Orchestra: an agent run by hand with hooks wired for every run, a late hook of
    // an agent that was stopped, one whose task was removed. Nothing to say, and no error.
    const silent = { code: 0, stdout: '', stderr: '' };
    assert.deepEqual(await hook('Stop', '', { ORCHESTRA_TASK_ID: '' }), silent);
    await sandbox.ok(['stop', 'hooked'], { cwd: repo });
    assert.deepEqual(await hook('Stop'), silent);
    assert.deepEqual(await hook('Stop', '', { ORCHESTRA_TASK_ID: '99' }), silent);
    assert.equal((await task('hooked')).status, 'idle', 'and nothing changed');
  });

  it("keeps to the agent's own word over its screen, except for a quiet screen after a turn it did not end", async () => {
    await sandbox.ok(['new', 'blinks', '-m', 'Blink', '--agent', 'blinker'], { cwd: repo });
    await sandbox.ok(['start', 'blinks'], { cwd: repo });
    const id = String((await task('blinks')).id);
    const hook = (event: string) => sandbox.ok(['hook', event], { cwd: repo, env: { ORCHESTRA_TASK_ID: id } });
    await hook('Stop');
    await statusIs('blinks', 'idle');
    // Its screen works and rests twice over; the agent said its turn ended, and that stands.
    for (const end = Date.now() + 8000; Date.now() < end; ) {
      assert.equal((await task('blinks')).status, 'idle');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // A turn the agent started and never ended (Claude Code interrupted with Esc): the quiet screen ends it.
    await hook('UserPromptSubmit');
    await statusIs('blinks', 'running');
    await statusIs('blinks', 'idle');
    assert.match(await log('blinks'), /status running → idle \(the screen has not changed for 1 s\)\n$/);
    await sandbox.ok(['stop', 'blinks'], { cwd: repo });
  });

  it('writes nothing for a verdict that is taken back at once (no flapping)', async () => {
    await sandbox.ok(['new', 'steady', '-m', 'Sleep', '--agent', 'sleeper'], { cwd: repo });
    await sandbox.ok(['start', 'steady'], { cwd: repo });
    await statusIs('steady', 'idle');
    const rpc = new JsonRpcClient(connect(join(sandbox.home, 'run', 'daemon.sock')));
    const report = (event: string) => rpc.request('task.report', { cwd: repo, ref: 'steady', event, data: {} });
    await report('running');
    await statusIs('steady', 'running');
    const before = await task('steady');
    // A turn ends and the next starts at once (a queued prompt): the task stays running.
    await report('idle');
    await report('running');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await task('steady');
    assert.deepEqual([later.status, later.updated], ['running', before.updated]);
    assert.doesNotMatch(await log('steady'), /running → idle \(hook idle\)/);
    rpc.close();
    await sandbox.ok(['stop', 'steady'], { cwd: repo });
  });

  /**
   * A task whose agent reports through the daemon's task.report as Claude Code's hooks and
   * OpenCode's plugin do, each report with `at`, when its hook's process started: hooks run
   * side by side and reach the daemon in any order, so the tests give `at` (ms after the
   * task's start) rather than the order they send in. `check` gets the report function and
   * the task's timeline.
   */
  const withHookedTask = async (ref: string, check: (report: (event: string, data: Record<string, unknown>, at: number) => Promise<unknown>, timeline: TaskTimeline) => Promise<void>) => {
    await sandbox.ok(['new', ref, '-m', 'Sleep', '--agent', 'sleeper'], { cwd: repo });
    await sandbox.ok(['start', ref], { cwd: repo });
    await statusIs(ref, 'idle');
    const timeline = await TaskTimeline.follow(sandbox, repo, ref);
    const rpc = new JsonRpcClient(connect(join(sandbox.home, 'run', 'daemon.sock')));
    const start = Date.now();
    try {
      await check((event, data, at) => rpc.request('task.report', { cwd: repo, ref, event, data, at: start + at }), timeline);
    } finally {
      rpc.close();
      timeline.close();
    }
    await sandbox.ok(['stop', ref], { cwd: repo });
  };
  /** Nothing changes after a report that should change nothing, for well past the 200 ms an agent's report takes to settle. */
  const staysAsItIs = async (timeline: TaskTimeline, what: string) => {
    const since = timeline.states.length;
    await delay(1500);
    assert.equal(timeline.states.length, since, `${what}: ${timeline.describe(since - 1)}`);
  };
  const bash = { tool_name: 'Bash', tool_input: { command: 'echo hi > out.txt' } };

  it('keeps a task completed through the rest of the turn it was completed in, until a new prompt', () =>
    withHookedTask('completes', async (report, timeline) => {
      const busy = { status: { type: 'busy' } };
      const idle = { status: { type: 'idle' } };
      await report('session.status', busy, 0);
      await timeline.next((s) => s.status === 'running', 'the agent at work');
      // What the agent does through Orchestra's MCP server.
      await sandbox.ok(['complete', 'completes'], { cwd: repo });
      await timeline.next((s) => s.status === 'completed', 'the task completed');
      // OpenCode's session goes idle and busy again while it writes its last reply, each
      // report in time to be taken.
      for (const [at, status] of [[2000, idle], [4000, busy], [6000, idle]] as const) {
        await report('session.status', status, at);
        await staysAsItIs(timeline, 'the rest of the turn leaves the task completed');
      }
      await report('UserPromptSubmit', {}, 30_000);
      await timeline.next((s) => s.status === 'running', 'a new prompt to reopen it');
    }));

  it('keeps a wait for a permission when the start of its own tool call reports after it (hooks run side by side)', () =>
    withHookedTask('ordered', async (report, timeline) => {
      await report('UserPromptSubmit', {}, 0);
      await timeline.next((s) => s.status === 'running', 'the prompt taken');
      await report('PermissionRequest', bash, 1000);
      await timeline.next((s) => s.waiting !== null, 'the permission request');
      // Under load the PreToolUse hook's process started after the PermissionRequest's.
      await report('PreToolUse', bash, 1050);
      await staysAsItIs(timeline, 'the start of the tool call leaves the wait for its permission');
      await report('PostToolUse', bash, 5000);
      await timeline.next((s) => s.status === 'running' && s.waiting === null, 'the tool call permitted');
    }));

  it("names a wait by the tool and command asked for, and keeps that name through Claude Code's notification", () =>
    withHookedTask('named', async (report, timeline) => {
      await report('PreToolUse', bash, 0);
      await report('PermissionRequest', bash, 100);
      const asked = await timeline.next((s) => s.waiting !== null, 'the permission request');
      // Claude Code's notification comes some seconds after it asked, in words that say less.
      await report('Notification', { notification_type: 'permission_prompt', message: 'Claude needs your permission' }, 6100);
      await staysAsItIs(timeline, 'the notification leaves the wait named as it was');
      assert.deepEqual([asked.status, asked.waiting], ['idle', 'permission to use Bash: echo hi > out.txt']);
    }));
});

describe('a screen pattern that backtracks without end', () => {
  const sandbox = new Sandbox();
  after(() => sandbox.cleanup());

  it('does not freeze the holder: the agent is still seen and stopped', async () => {
    const repo = sandbox.repo();
    mkdirSync(join(repo, '.orchestra'));
    // (a|a)*b on a line of 40 a's takes minutes with backtracking; the config check does not see its shape.
    writeFileSync(
      join(repo, '.orchestra', 'config.yaml'),
      `agent: aaa\nagents:\n  aaa: { command: ${JSON.stringify(['/bin/sh', '-c', `printf '${'a'.repeat(40)}\\n'; exec sleep 300`])}, patterns: [{ match: '(a|a)*b', status: running }] }\n`,
    );
    await sandbox.ok(['new', 'slow-pattern', '-m', 'x'], { cwd: repo });
    await sandbox.ok(['start', '1'], { cwd: repo });
    assert.match(await sandbox.ok(['peek', '1'], { cwd: repo }), /a{40}/);
    await sandbox.ok(['stop', '1'], { cwd: repo });
  });
});
