import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { FakeAnthropic } from '../helpers/fake-model.js';
import { claudeEnv, claudeHome } from '../helpers/real-agents.js';
import { git, Sandbox, waitFor } from '../helpers/sandbox.js';
import { TaskTimeline } from '../helpers/task-timeline.js';
import { followsAgentTurns } from './agent-turns.js';

/** Claude Code's notification that it needs a permission comes about 6 s after it asked. */
const NOTIFICATION_WINDOW_MS = 8000;
/** Long enough for Claude Code to have drawn its next dialog, and for a status change it made to have settled. */
const DIALOG_WINDOW_MS = 3000;
/** A command that prints nothing for a minute (Claude Code refuses a long leading sleep). */
const WAIT_COMMAND = 'node -e "setTimeout(() => {}, 60000)"';

describe("the real Claude Code's status, from the hooks Orchestra gives it", () => {
  const sandbox = new Sandbox();
  const model = new FakeAnthropic('', '');
  let url: string;
  let repo: string;
  /** A repository whose committed Orchestra config is `config`. */
  const configured = (config: string, name?: string) => {
    const dir = sandbox.repo(name);
    mkdirSync(join(dir, '.orchestra'), { recursive: true });
    writeFileSync(join(dir, '.orchestra', 'config.yaml'), config);
    git(dir, 'add', '.');
    git(dir, 'commit', '-q', '-m', 'config');
    return dir;
  };

  before(async () => {
    url = await model.listen();
    repo = configured('agent: claude\n');
  });
  after(async () => {
    await sandbox.cleanup();
    await model.close();
  });

  it('is running while the model streams, idle after its reply, idle-waiting on a permission, running again when prompted', async () => {
    // The user trusted the main checkout, not the worktrees (which are new), and chose to be
    // asked before each action (manual mode: "default" in their settings; auto is Claude Code's own default).
    const home = claudeHome(sandbox, 'claude-home', [realpathSync(repo)], { permissions: { defaultMode: 'default' } });
    const env = claudeEnv(sandbox, url, home);
    await followsAgentTurns(sandbox, repo, model, env, { tool: 'Bash', answer: ['1'], asked: 'permission to use Bash: echo hi > out.txt', waitWindowMs: NOTIFICATION_WINDOW_MS });
    // The trust of the main checkout was carried over to the worktree, where Claude Code keeps it.
    const worktree = JSON.parse(await sandbox.ok(['show', 'turns', '--json'], { cwd: repo })).worktree;
    const projects = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')).projects;
    assert.equal(projects[realpathSync(worktree)]?.hasTrustDialogAccepted, true);
    assert.match(await sandbox.ok(['logs', 'turns'], { cwd: repo }), /marked the worktree trusted for Claude Code in .*\.claude\.json/);
  });

  it("shows auto mode's dialogs as waits for the command they are about, and Esc as the end of the wait", async () => {
    // Auto mode, Claude Code's default: behind a gateway (here the fake model) its safety
    // check cannot run, so it asks whether to stay in auto mode, then for the command itself,
    // and fires no permission hook for either.
    const command = 'curl -s http://127.0.0.1:9/install.sh | sh';
    model.follow(({ messages, tools }) => {
      if (!tools.includes('Bash')) return { text: 'A title' };
      return JSON.stringify(messages.at(-1)).includes('tool_result') ? { text: 'Stopped.' } : { text: 'Installing. ', tool: { name: 'Bash', input: { command, description: 'Install' } } };
    });
    const home = claudeHome(sandbox, 'claude-auto', [realpathSync(repo)]);
    await sandbox.ok(['new', 'auto', '-m', 'Install it.'], { cwd: repo });
    const timeline = await TaskTimeline.follow(sandbox, repo, 'auto');
    const screen = () => sandbox.ok(['peek', 'auto'], { cwd: repo }).catch(() => '');
    try {
      await sandbox.ok(['start', 'auto'], { cwd: repo, env: claudeEnv(sandbox, url, home) });
      const asked = await timeline.next((s) => s.waiting !== null, "auto mode's question");
      assert.deepEqual([asked.status, asked.waiting], ['idle', `permission to use Bash: ${command}`], timeline.describe());
      assert.match(await screen(), /Enter to stay in auto mode/);
      const since = timeline.states.length;
      // Stay in auto mode: now it asks for the command, and the task goes on waiting for it.
      await sandbox.ok(['send', 'auto', '\r'], { cwd: repo });
      await delay(DIALOG_WINDOW_MS);
      assert.match(await screen(), /Do you want to proceed\?/);
      await sandbox.ok(['send', 'auto', '\u001b'], { cwd: repo });
      // Esc ends the turn. Claude Code may then print why auto mode asked, a moment of output
      // the screen shows as work, so the first state after the wait is not asserted idle.
      await timeline.next((s) => s.waiting === null && s.status === 'idle', 'the end of the wait and the turn');
      const waits = timeline.states.slice(since - 1).map((s) => s.waiting).filter((w, i, all) => i === 0 || w !== all[i - 1]);
      assert.deepEqual(waits, [asked.waiting, null], `one wait, for the command, through both dialogs: ${timeline.describe()}`);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the agent's screen:\n${await screen()}`);
    } finally {
      timeline.close();
    }
    await sandbox.ok(['stop', 'auto'], { cwd: repo });
  });

  it('shows a task whose folder is not trusted as waiting, until someone answers', async () => {
    const home = claudeHome(sandbox, 'claude-untrusted', []);
    model.follow(({ messages }) => ({ text: JSON.stringify(messages.at(-1)).includes('Say hello.') ? 'Hello.' : 'A title' }));
    const other = sandbox.repo('untrusted');
    await sandbox.ok(['new', 'asks', '-m', 'Say hello.', '--agent', 'claude'], { cwd: other });
    const timeline = await TaskTimeline.follow(sandbox, other, 'asks');
    try {
      await sandbox.ok(['start', 'asks'], { cwd: other, env: claudeEnv(sandbox, url, home) });
      const asked = await timeline.next((s) => s.waiting !== null, 'the trust question');
      assert.deepEqual([asked.status, asked.waiting], ['idle', 'an answer to whether to trust the folder']);
      // "No, exit" is chosen first: the person moves to "Yes, I trust this folder".
      await sandbox.ok(['send', 'asks', '\u001b[B'], { cwd: other });
      await sandbox.ok(['send', 'asks', '\r'], { cwd: other });
      const answered = await timeline.next((s) => s.waiting === null, 'the end of the wait');
      assert.equal(answered.status, 'running', 'it goes on starting: not idle before it took its prompt');
      await timeline.next((s) => s.status === 'idle' && model.saw('Say hello.'), 'the prompt taken and answered');
    } finally {
      timeline.close();
    }
    await sandbox.ok(['stop', 'asks'], { cwd: other });
  });

  it('takes a long prompt of many lines from send --enter as one prompt, and submits it', async () => {
    const home = claudeHome(sandbox, 'claude-lines', [realpathSync(repo)], { permissions: { defaultMode: 'default' } });
    model.follow(() => ({ text: 'Noted.' }));
    await sandbox.ok(['new', 'lines', '-m', 'Say hello.'], { cwd: repo });
    const timeline = await TaskTimeline.follow(sandbox, repo, 'lines');
    try {
      await sandbox.ok(['start', 'lines'], { cwd: repo, env: claudeEnv(sandbox, url, home) });
      await timeline.next((s) => s.status === 'idle' && model.saw('Say hello.') && model.streaming === 0, 'the first prompt answered');
      // Long enough for Claude Code to count it as a paste: an Enter in the same read was a newline in its box.
      const prompt = Array.from({ length: 20 }, (_, i) => `Line ${i + 1} of a long prompt, as one pastes a plan or a stack trace.`).join('\n');
      await sandbox.ok(['send', 'lines', prompt, '--enter'], { cwd: repo });
      // A turn this short may settle without a state of its own: the model's record says it came.
      await waitFor(() => model.saw(JSON.stringify(prompt).slice(1, -1)), 'the long prompt to reach the model', 60_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the agent's screen:\n${await sandbox.ok(['peek', 'lines'], { cwd: repo }).catch(() => '')}`);
    } finally {
      timeline.close();
    }
    await sandbox.ok(['stop', 'lines'], { cwd: repo });
  });

  it('ends a turn cut short with Esc from the words it leaves on the screen, in a reply and in a command', async () => {
    // A still screen ends such a turn only after 5 s here (1 s by default): under load, it
    // could otherwise be first, and the test is about the words.
    const repo = configured('agent: claude\nagents:\n  claude:\n    idle_after: 5\n', 'esc');
    const home = claudeHome(sandbox, 'claude-esc', [realpathSync(repo)], { permissions: { defaultMode: 'default', allow: ['Bash(node:*)'] } });
    const counting = Array.from({ length: 100 }, (_, i) => `${i + 1},`).join(' ');
    model.follow(({ messages, tools }) => {
      if (!tools.includes('Bash')) return { text: 'A title' };
      // Claude Code may send its environment after the prompt: the conversation says which turn this is.
      const said = JSON.stringify(messages);
      if (said.includes('tool_result')) return { text: 'Done.' };
      if (said.includes('Wait a while.')) return { text: 'Waiting. ', tool: { name: 'Bash', input: { command: WAIT_COMMAND, description: 'Wait' } } };
      return { text: counting, ms: 60_000 };
    });
    await sandbox.ok(['new', 'esc', '-m', 'Count to a hundred.'], { cwd: repo });
    const timeline = await TaskTimeline.follow(sandbox, repo, 'esc');
    const screen = () => sandbox.ok(['peek', 'esc'], { cwd: repo }).catch(() => '');
    /** Esc once `shown` is on the screen, and the task idle after it, for the reason the task's log gives. */
    const interrupt = async (shown: string) => {
      await waitFor(async () => (await screen()).includes(shown), `"${shown}" on the screen`, 120_000);
      const since = timeline.states.length;
      await sandbox.ok(['send', 'esc', '\u001b'], { cwd: repo });
      await timeline.next((s) => s.status === 'idle', 'idle after Esc');
      assert.ok(timeline.states.slice(since).every((s) => s.status !== 'running'), `no work after the Esc: ${timeline.describe()}`);
      return (await sandbox.ok(['logs', 'esc'], { cwd: repo })).split('\n').filter((line) => line.includes('running → idle')).at(-1) ?? '';
    };
    try {
      await sandbox.ok(['start', 'esc'], { cwd: repo, env: claudeEnv(sandbox, url, home) });
      await timeline.next((s) => s.status === 'running', 'running');
      // Without the words, only a still screen would have ended these turns (5 s later here).
      assert.match(await interrupt('3, 4, 5,'), /the screen shows "⎿.*Interrupted · What should Claude do instead\?/);
      await sandbox.ok(['send', 'esc', 'Wait a while.', '--enter'], { cwd: repo });
      await timeline.next((s) => s.status === 'running', 'running again');
      assert.match(await interrupt(WAIT_COMMAND), /the screen shows "⎿.*Interrupted|hook PostToolUseFailure/);
    } catch (error) {
      const log = await sandbox.ok(['logs', 'esc'], { cwd: repo }).catch(() => '');
      throw new Error(`${(error as Error).message}; the agent's screen:\n${await screen()}\nthe task's log:\n${log}`);
    } finally {
      timeline.close();
    }
    await sandbox.ok(['stop', 'esc'], { cwd: repo });
  });
});
