import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Activity } from '../../protocol/holder.js';
import { ActivityJudge, type AgentTraits } from '../../src/core/activity-judge.js';
import { type ActivityReport, reportFromEvent } from '../../src/core/agent-events.js';
import { statusAfter } from '../../src/core/agent-status.js';

/** Claude Code or OpenCode given a task's prompt. */
const REPORTING: AgentTraits = { agentReports: true, prompted: true };
/** The same, past its first prompt (resumed, or the judge's clock starts mid-session): its first report may end a turn. */
const UNDER_WAY: AgentTraits = { agentReports: true, prompted: false };

/** One of the agent's hooks (or plugin events), started at `at` when given. */
const hook = (event: string, data: Record<string, unknown> = {}, at?: number): ActivityReport => reportFromEvent(event, data, at)!;
/** The holder's verdict on the screen. */
const screen = (state: Activity, reason = '', cause = `the screen says ${state}`): ActivityReport => ({ state, reason, cause, source: 'screen' });
/** Claude Code's "Interrupted" over its input box, as its profile's pattern sees it. */
const interrupted: ActivityReport = { ...screen('idle', '', 'the screen shows "Interrupted · What should Claude do instead?"'), shown: true };
/** Claude Code's permission dialog, as its profile's pattern sees it. */
const dialog = screen('waiting', 'permission to use a tool', 'the screen shows "Do you want to proceed?"');

const bash = { tool_name: 'Bash', tool_input: { command: 'echo hi > out.txt' } };

/**
 * Plays reports to a judge on a made-up clock (ms from the agent's start), settling whatever
 * falls due between them, up to `until`; returns each change as "t state (reason)", and the
 * task's status through them when `status` is given.
 */
function play(steps: Array<[number, ActivityReport]>, options: { until: number; traits?: AgentTraits; state?: Activity; reason?: string; status?: 'running' | 'completed' }) {
  const judge = new ActivityJudge({ state: options.state ?? 'running', reason: options.reason ?? '', traits: options.traits ?? REPORTING, now: 0 });
  const changes: string[] = [];
  let status = options.status;
  const statuses: string[] = [];
  let step = 0;
  for (;;) {
    const next = steps[step]?.[0] ?? Number.POSITIVE_INFINITY;
    const due = judge.due ?? Number.POSITIVE_INFINITY;
    const now = Math.min(next, due);
    if (now > options.until) break;
    if (due <= next) {
      const change = judge.settle(now);
      if (!change) continue;
      changes.push(`${now} ${change.report.state}${change.report.reason ? ` (${change.report.reason})` : ''}`);
      if (status) statuses.push((status = statusAfter(status, change.report.state, change.opensTurn) as typeof status));
    } else {
      judge.offer(steps[step]![1], now);
      step++;
    }
  }
  return { changes, statuses };
}

describe('which reports about an agent count, and when', () => {
  it('keeps a task completed through the turn it was completed in, whatever its hooks and screen say; a new prompt reopens it', () => {
    // Claude Code completes its task through MCP: the tool call, a pause while the model
    // writes its reply (a quiet screen, no hook for over a second), the reply, the turn's end.
    const claude = play(
      [
        [0, hook('PreToolUse', { tool_name: 'mcp__orchestra__complete_task' }, 0)],
        [300, hook('PostToolUse', { tool_name: 'mcp__orchestra__complete_task' }, 300)],
        [2000, screen('idle')],
        [3000, hook('PostToolUse', {}, 2900)],
        [4000, hook('Stop', {}, 3900)],
        [60_000, hook('UserPromptSubmit', {}, 60_000)],
      ],
      { until: 70_000, status: 'completed' },
    );
    assert.deepEqual(claude.changes, ['2400 idle', '3000 running', '4200 idle', '60000 running']);
    assert.deepEqual(claude.statuses, ['completed', 'completed', 'completed', 'running']);
    // OpenCode: busy and idle through the turn, then a person's next message.
    const opencode = play(
      [
        [0, hook('session.status', { status: { type: 'idle' } }, 0)],
        [500, hook('session.status', { status: { type: 'busy' } }, 500)],
        [1000, hook('session.status', { status: { type: 'idle' } }, 1000)],
        [30_000, hook('message.updated', { info: { role: 'user' } }, 30_000)],
      ],
      { until: 40_000, status: 'completed', traits: UNDER_WAY },
    );
    assert.deepEqual(opencode.statuses, ['completed', 'completed', 'completed', 'running']);
  });

  it('keeps an agent that reports itself running while it loads, until its first report; its hooks may be off', () => {
    // OpenCode's screen is quiet while it loads; it takes its prompt 9 s after the start.
    assert.deepEqual(play([[3000, screen('idle')], [9000, hook('message.updated', { info: { role: 'user' } }, 9000)], [12_000, hook('session.status', { status: { type: 'idle' } }, 12_000)]], { until: 20_000 }).changes, ['12200 idle']);
    // Its new session is idle before it submits its prompt: no end of a turn, whatever lies between.
    assert.deepEqual(play([[5000, hook('session.status', { status: { type: 'idle' } }, 5000)], [5600, hook('message.updated', { info: { role: 'user' } }, 5600)], [9000, hook('session.status', { status: { type: 'idle' } }, 9000)]], { until: 20_000 }).changes, ['9200 idle']);
    // Claude Code asks whether to trust the folder before any hook runs; once answered, it goes on loading.
    const trust = screen('waiting', 'an answer to whether to trust the folder', 'the screen shows "Is this a project you created or one you trust?"');
    assert.deepEqual(play([[2000, trust], [10_000, screen('idle')], [13_000, hook('UserPromptSubmit', {}, 13_000)]], { until: 20_000 }).changes, ['2600 waiting (an answer to whether to trust the folder)', '10400 running']);
    // An agent whose hooks are off says nothing: after the grace its screen decides.
    assert.deepEqual(play([[3000, screen('idle')]], { until: 200_000 }).changes, ['120400 idle']);
    // A resumed agent waits at its prompt, and its screen says so.
    assert.deepEqual(play([[3000, screen('idle')]], { until: 10_000, traits: { agentReports: true, prompted: false } }).changes, ['3400 idle']);
    // An agent that does not report itself: its screen decides from the start.
    assert.deepEqual(play([[3000, screen('idle')]], { until: 10_000, traits: { agentReports: false, prompted: true } }).changes, ['3400 idle']);
  });

  it("writes the agent's word that it works at once, and its end or wait once it has held for 0.2 s", () => {
    assert.deepEqual(play([[0, hook('Stop', {}, 0)], [1000, hook('UserPromptSubmit', {}, 1000)], [3000, hook('PermissionRequest', bash, 3000)]], { until: 5000, traits: UNDER_WAY }).changes, ['200 idle', '1000 running', '3200 waiting (permission to use Bash: echo hi > out.txt)']);
    // A turn that ends and a queued prompt that starts at once: the task stays running.
    assert.deepEqual(play([[0, hook('Stop', {}, 0)], [100, hook('UserPromptSubmit', {}, 100)]], { until: 5000, traits: UNDER_WAY }).changes, []);
  });

  it('orders hooks by what they mean: the start of a tool call never ends the wait for its permission', () => {
    const asked = 'waiting (permission to use Bash: echo hi > out.txt)';
    // Under load, the PreToolUse hook's process started (and reported) after the PermissionRequest's.
    const late = play([[0, hook('UserPromptSubmit', {}, 0)], [1000, hook('PermissionRequest', bash, 1000)], [1100, hook('PreToolUse', bash, 1050)], [5000, hook('PostToolUse', bash, 5000)]], { until: 10_000 });
    assert.deepEqual(late.changes, [`1200 ${asked}`, '5000 running']);
    // The PermissionRequest's process started first, but reported after the PreToolUse: not stale.
    const overtaken = play([[0, hook('PreToolUse', bash, 1000)], [300, hook('PermissionRequest', bash, 990)], [5000, hook('Stop', {}, 5000)]], { until: 10_000 });
    assert.deepEqual(overtaken.changes, [`500 ${asked}`, '5200 idle']);
    // A report from an earlier hook than one taken is still stale: the last tool call's end after the turn's.
    assert.deepEqual(play([[0, hook('Stop', {}, 2000)], [300, hook('PostToolUse', bash, 1900)]], { until: 5000, traits: UNDER_WAY }).changes, ['200 idle']);
  });

  it('names a wait after what is asked; general words only where nothing better is known', () => {
    const asked = 'waiting (permission to use Bash: echo hi > out.txt)';
    // Claude Code's "Claude needs your permission", 6 s after its permission request, changes nothing.
    assert.deepEqual(play([[0, hook('PreToolUse', bash, 0)], [100, hook('PermissionRequest', bash, 100)], [6100, hook('Notification', { notification_type: 'permission_prompt', message: 'Claude needs your permission' }, 6100)]], { until: 10_000 }).changes, [`300 ${asked}`]);
    // The same with the tool call's start not come in (yet): the request's words stay.
    assert.deepEqual(play([[100, hook('PermissionRequest', bash, 100)], [6100, hook('Notification', { notification_type: 'permission_prompt', message: 'Claude needs your permission' }, 6100)]], { until: 10_000 }).changes, [`300 ${asked}`]);
    // Auto mode's dialog fires no permission request: its screen shows it, named after the tool call under way.
    assert.deepEqual(play([[0, hook('PreToolUse', bash, 0)], [500, dialog], [6500, hook('Notification', { notification_type: 'agent_needs_input', message: "Auto mode can't check actions" }, 6500)]], { until: 10_000 }).changes, [`1100 ${asked}`]);
    // The dialog on the screen before the hook of its tool call came in: the hook names it, in time or later.
    assert.deepEqual(play([[0, dialog], [500, hook('PreToolUse', bash, 0)]], { until: 5000, traits: { agentReports: true, prompted: false } }).changes, [`700 ${asked}`]);
    assert.deepEqual(play([[0, dialog], [800, hook('PreToolUse', bash, 0)]], { until: 5000, traits: { agentReports: true, prompted: false } }).changes, ['600 waiting (permission to use a tool)', `1000 ${asked}`]);
    // Nothing better known: the notification's words.
    assert.deepEqual(play([[0, hook('Stop', {}, 0)], [60_000, hook('Notification', { notification_type: 'idle_prompt', message: 'Claude is waiting for your input' }, 60_000)]], { until: 70_000, traits: UNDER_WAY }).changes, ['200 idle', '60200 waiting (Claude is waiting for your input)']);
  });

  it('makes an agent interrupted with Esc idle, while it works or while it waits', () => {
    // Claude Code fires no hook when interrupted: its screen, quiet with the agent silent, ends the turn.
    assert.deepEqual(play([[0, hook('UserPromptSubmit', {}, 0)], [4000, screen('idle')]], { until: 10_000 }).changes, ['4400 idle']);
    // A screen that works again before its quiet was taken (the agent's drawing stalled) is no end either.
    assert.deepEqual(play([[0, hook('UserPromptSubmit', {}, 0)], [4000, screen('idle')], [4200, screen('running')]], { until: 10_000 }).changes, []);
    // A screen that pauses while hooks keep coming is not an end.
    assert.deepEqual(play([[0, hook('UserPromptSubmit', {}, 0)], [3500, hook('PreToolUse', bash, 3500)], [4000, screen('idle')]], { until: 10_000 }).changes, []);
    // Esc at a permission dialog: the dialog leaves the screen and no hook follows.
    const asked = [[0, hook('PreToolUse', bash, 0)], [100, hook('PermissionRequest', bash, 100)], [400, dialog]] as Array<[number, ActivityReport]>;
    assert.deepEqual(play([...asked, [8000, screen('idle')]], { until: 15_000 }).changes, ['300 waiting (permission to use Bash: echo hi > out.txt)', '9500 idle']);
    // Yes instead: the tool call ends soon after the dialog left, and the task never shows idle meanwhile.
    assert.deepEqual(play([...asked, [8000, screen('idle')], [8600, hook('PostToolUse', bash, 8600)]], { until: 15_000 }).changes, ['300 waiting (permission to use Bash: echo hi > out.txt)', '8600 running']);
    // A long command after Yes: the screen shows it working.
    assert.deepEqual(play([...asked, [8000, screen('idle')], [9000, screen('running')], [20_000, hook('PostToolUse', bash, 20_000)], [21_000, hook('Stop', {}, 21_000)]], { until: 30_000 }).changes, ['300 waiting (permission to use Bash: echo hi > out.txt)', '9400 running', '21200 idle']);
  });

  it('takes a turn\'s end the screen shows in words at once, even just after a hook; hooks from before it are out of date', () => {
    // Esc during a tool call: "Interrupted" 0.3 s after its start; the hook of its start, run late, changes nothing; the next prompt does.
    const cut = play([[0, hook('UserPromptSubmit', {}, 0)], [3000, hook('PreToolUse', bash, 3000)], [3300, interrupted], [3600, hook('PostToolUseFailure', bash, 3250)], [9000, hook('UserPromptSubmit', {}, 9000)]], { until: 15_000 });
    assert.deepEqual(cut.changes, ['3500 idle', '9000 running']);
    // The hook of the cut call's failure, run after the words were seen, is left over too.
    const late = play([[0, hook('UserPromptSubmit', {}, 0)], [3000, hook('PreToolUse', bash, 3000)], [3300, interrupted], [3450, hook('PostToolUseFailure', { ...bash, is_interrupt: true }, 3350)]], { until: 15_000 });
    assert.deepEqual(late.changes, ['3500 idle']);
    // Esc at a permission dialog before its hook came: the late request is no wait.
    const early = play([[0, hook('PreToolUse', bash, 0)], [200, dialog], [600, interrupted], [900, hook('PermissionRequest', bash, 50)]], { until: 15_000, traits: UNDER_WAY });
    assert.deepEqual(early.changes, ['800 idle']);
    // What a later wait is called: not after the call Esc cut short.
    const after = play([[0, hook('PreToolUse', bash, 0)], [1000, interrupted], [61_000, hook('Notification', { notification_type: 'idle_prompt', message: 'Claude is waiting for your input' }, 61_000)]], { until: 70_000, traits: UNDER_WAY });
    assert.deepEqual(after.changes, ['1200 idle', '61200 waiting (Claude is waiting for your input)']);
    // Esc at a permission dialog: idle at once, not after the wait for a Yes's hooks.
    const asked = [[0, hook('PreToolUse', bash, 0)], [100, hook('PermissionRequest', bash, 100)], [400, dialog]] as Array<[number, ActivityReport]>;
    assert.deepEqual(play([...asked, [8000, interrupted]], { until: 15_000 }).changes, ['300 waiting (permission to use Bash: echo hi > out.txt)', '8200 idle']);
    // Sub-agents in the background go on after an Esc: their held end still decides.
    const spawned = [[0, hook('SubagentStart', { agent_id: 'a' }, 0)], [1000, hook('Stop', {}, 1000)]] as Array<[number, ActivityReport]>;
    assert.deepEqual(play([...spawned, [2000, interrupted], [30_000, hook('SubagentStop', { agent_id: 'a' }, 30_000)]], { until: 40_000, traits: UNDER_WAY }).changes, ['35000 idle']);
    // And when the Esc comes before the main agent's turn ended.
    assert.deepEqual(play([[0, hook('SubagentStart', { agent_id: 'a' }, 0)], [2000, interrupted], [30_000, hook('SubagentStop', { agent_id: 'a' }, 30_000)]], { until: 40_000, traits: UNDER_WAY }).changes, ['35000 idle']);
  });

  it('keeps a task running while sub-agents work in the background after its turn ended', () => {
    const start = (id: string, at: number) => hook('SubagentStart', { agent_id: id, agent_type: 'general-purpose' }, at);
    const stop = (id: string, at: number) => hook('SubagentStop', { agent_id: id }, at);
    // Claude Code 2.1.332 ends the turn while its sub-agent works; the sub-agent's end starts a
    // turn of the main agent's own (it reads the result), which ends the task's work.
    const background: Array<[number, ActivityReport]> = [[0, hook('UserPromptSubmit', {}, 0)], [500, start('a1', 500)], [1000, hook('Stop', {}, 1000)], [3000, screen('idle')], [9000, stop('a1', 9000)]];
    assert.deepEqual(play([...background, [9500, hook('Stop', {}, 9500)]], { until: 30_000 }).changes, ['9700 idle']);
    // No turn of its own after all: the held end applies once the sub-agents have been done for 5 s.
    assert.deepEqual(play(background, { until: 30_000 }).changes, ['14000 idle']);
    // Reports in any order: an end before its start still counts the sub-agent as done.
    assert.deepEqual(play([[0, stop('a1', 600)], [100, start('a1', 500)], [200, hook('Stop', {}, 1000)]], { until: 30_000, traits: UNDER_WAY }).changes, ['400 idle']);
    // A sub-agent that never reports its end (stopped with Esc): the held end applies after a minute of silence.
    assert.deepEqual(play([[0, start('a1', 0)], [1000, hook('Stop', {}, 1000)], [5000, screen('idle')]], { until: 120_000, traits: UNDER_WAY }).changes, ['61000 idle']);
    // A sub-agent in the foreground ends before its turn does: nothing held.
    assert.deepEqual(play([[0, start('a1', 0)], [4000, stop('a1', 4000)], [5000, hook('Stop', {}, 5000)]], { until: 30_000, traits: UNDER_WAY }).changes, ['5200 idle']);
  });
});
