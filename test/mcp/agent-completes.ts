import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { type Sandbox, waitFor } from '../helpers/sandbox.js';
import { TaskTimeline } from '../helpers/task-timeline.js';

/** Long enough for the hooks of a turn that ended to have come in and settled (under load too). */
const TURN_END_WINDOW_MS = 5000;

/**
 * The end-to-end check both real agents go through: a task started with `env` (the agent's
 * HOME and model settings) is completed by the agent itself through Orchestra's MCP server,
 * its description having been the model's first prompt, and the model's reply after the
 * tool result shows on its screen. The task is running from the start until it is
 * completed (never idle while the agent loads), and stays completed through the rest of
 * that turn: its hooks and its screen do not reopen it.
 */
export async function agentCompletesItsTask(sandbox: Sandbox, repo: string, env: Record<string, string>, model: { saw(text: string): boolean }, reply: string): Promise<void> {
  await sandbox.ok(['new', 'finish', '-m', 'Mark this task completed.'], { cwd: repo });
  const timeline = await TaskTimeline.follow(sandbox, repo, 'finish');
  const screen = () => sandbox.ok(['peek', 'finish'], { cwd: repo }).catch(() => '');
  try {
    await sandbox.ok(['start', 'finish'], { cwd: repo, env });
    const started = await timeline.next((s) => s.status !== 'draft', 'the start');
    assert.equal(started.status, 'running');
    const completed = await timeline.next((s) => s.status !== 'running', 'the task to be completed by the agent', 90_000);
    assert.equal(completed.status, 'completed', `running until the agent completed it: ${timeline.describe()}`);
    await waitFor(async () => (await screen()).includes(reply), 'the reply after the tool result', 30_000);
    await delay(TURN_END_WINDOW_MS);
    assert.deepEqual(timeline.now, completed, `still completed once the turn has ended: ${timeline.describe()}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the agent's screen:\n${await screen()}\nthe task's log:\n${await sandbox.ok(['logs', 'finish'], { cwd: repo }).catch(() => '')}`);
  } finally {
    timeline.close();
  }
  assert.ok(model.saw('Mark this task completed.'), "the task's description was the first prompt");
  await sandbox.ok(['stop', 'finish'], { cwd: repo });
}
