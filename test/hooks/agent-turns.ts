import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Script } from '../helpers/fake-model.js';
import { type Sandbox, waitFor } from '../helpers/sandbox.js';

/** The fake model's side of the conversation both real agents go through. */
export function turnsScript(tool: string): Script {
  return ({ messages, tools }) => {
    const last = JSON.stringify(messages.at(-1));
    // Requests without the agent's tools are its side errands (a title, a summary).
    if (!tools.includes(tool)) return { text: 'A title' };
    if (last.includes('Say hello.')) return { text: 'Hello.' };
    if (last.includes('tool_result') || last.includes('"role":"tool"')) return { text: 'The command ran.', ms: 500 };
    if (last.includes('next')) return { text: 'I will write a file now, word by word, slowly. ', ms: 2500, tool: { name: tool, input: { command: 'echo hi > out.txt', description: 'Write a file' } } };
    return { text: 'Counting slowly: one, two, three, four, five, six, seven, eight. ', ms: 3000 };
  };
}

/**
 * What a person relies on without attaching, checked on a real agent: the task's
 * description is the model's first prompt; the task is running while the model streams,
 * idle within 2 s of its reply; a permission request makes it idle and waiting; a prompt
 * sent with `orchestra send … --enter` makes it running again; answering the permission
 * lets the tool run and the turn end.
 */
export async function followsAgentTurns(
  sandbox: Sandbox,
  repo: string,
  model: { follow(script: Script): unknown; saw(text: string): boolean; streaming: number; lastReplyEnd: number },
  env: Record<string, string>,
  options: { tool: string; answer: string[] },
): Promise<void> {
  model.follow(turnsScript(options.tool));
  await sandbox.ok(['new', 'turns', '-m', 'Count slowly to eight.'], { cwd: repo });
  const file = JSON.parse(await sandbox.ok(['show', 'turns', '--json'], { cwd: repo })).path as string;
  // The task file itself, read at once: status --json would take longer than what is measured.
  const front = () => {
    const text = readFileSync(file, 'utf8');
    return { status: /^status: (\w+)$/m.exec(text)?.[1], waiting: /^waiting: (.*)$/m.exec(text)?.[1] ?? null };
  };
  const screen = () => sandbox.ok(['peek', 'turns'], { cwd: repo }).catch(() => '');
  const step = async (what: string, condition: () => boolean | Promise<boolean>, ms = 60_000) => {
    try {
      await waitFor(condition, what, ms);
    } catch (error) {
      throw new Error(`${(error as Error).message}; the task: ${JSON.stringify(front())}; the agent's screen:\n${await screen()}`);
    }
  };

  await sandbox.ok(['start', 'turns'], { cwd: repo, env });
  await step('the model to stream its first reply', () => model.streaming > 0);
  assert.ok(model.saw('Count slowly to eight.'), "the task's description was the first prompt");
  assert.equal(front().status, 'running', 'running while the model streams');
  await step('the reply to end', () => model.streaming === 0);
  const ended = model.lastReplyEnd;
  await step('idle within 2 s of the reply, with nobody attached', () => front().status === 'idle', 2000 - (Date.now() - ended));

  await sandbox.ok(['send', 'turns', 'next', '--enter'], { cwd: repo });
  await step('the model to stream again', () => model.streaming > 0);
  await step('running again while the model streams', () => front().status === 'running' && model.streaming > 0, 5000);
  await step('idle and waiting for a permission', () => front().status === 'idle' && /permission/.test(front().waiting ?? ''));
  assert.match(await sandbox.ok(['status'], { cwd: repo }), /● \?.*waits for .*permission/);

  const asked = Date.now();
  for (const key of options.answer) await sandbox.ok(['send', 'turns', key], { cwd: repo });
  await step('the permitted command to run and the turn to end', () => existsSync(join(worktreeOf(file), 'out.txt')) && model.lastReplyEnd > asked && model.streaming === 0 && front().status === 'idle' && front().waiting === null);
  assert.match(await sandbox.ok(['logs', 'turns'], { cwd: repo }), /status running → idle, waiting for .*permission.* \(hook /);
  await sandbox.ok(['stop', 'turns'], { cwd: repo });
}

function worktreeOf(taskFile: string): string {
  return /^worktree: (.*)$/m.exec(readFileSync(taskFile, 'utf8'))![1]!;
}
