import assert from 'node:assert/strict';
import { type Sandbox, waitFor } from '../helpers/sandbox.js';

/**
 * The end-to-end check both real agents go through: a task started with `env` (the agent's
 * HOME and model settings) is completed by the agent itself through Orchestra's MCP server,
 * its description having been the model's first prompt, and the model's reply after the
 * tool result shows on its screen.
 */
export async function agentCompletesItsTask(sandbox: Sandbox, repo: string, env: Record<string, string>, model: { saw(text: string): boolean }, reply: string): Promise<void> {
  await sandbox.ok(['new', 'finish', '-m', 'Mark this task completed.'], { cwd: repo });
  await sandbox.ok(['start', 'finish'], { cwd: repo, env });
  const screen = () => sandbox.ok(['peek', 'finish'], { cwd: repo }).catch(() => '');
  try {
    await waitFor(async () => JSON.parse(await sandbox.ok(['show', 'finish', '--json'], { cwd: repo })).status === 'completed', 'the task to be completed by the agent', 90_000);
    await waitFor(async () => (await screen()).includes(reply), 'the reply after the tool result', 30_000);
  } catch (error) {
    throw new Error(`${(error as Error).message}; the agent's screen:\n${await screen()}`);
  }
  assert.ok(model.saw('Mark this task completed.'), "the task's description was the first prompt");
  await sandbox.ok(['stop', 'finish'], { cwd: repo });
}
