import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Script } from '../helpers/fake-model.js';
import { type Sandbox, waitFor } from '../helpers/sandbox.js';
import { TaskTimeline } from '../helpers/task-timeline.js';

/** The model's side of the conversation both real agents go through. */
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

/** What the tests need of a fake model. */
export interface TurnsModel {
  follow(script: Script): unknown;
  saw(text: string): boolean;
  streaming: number;
  lastReplyEnd: number;
}

/**
 * What a person relies on without attaching, checked on a real agent: the task's
 * description is the model's first prompt, and the task is running from the start until
 * then (never idle while the agent loads); running while the model streams, idle within 2 s
 * of its reply; a permission request makes it idle and waiting, for `asked` (the tool and
 * its command) all along, `waitWindowMs` long (past the agent's later notification); a
 * prompt sent with `orchestra send … --enter` makes it running again; answering the
 * permission lets the tool run and the turn end.
 */
export async function followsAgentTurns(sandbox: Sandbox, repo: string, model: TurnsModel, env: Record<string, string>, options: { tool: string; answer: string[]; asked: string; waitWindowMs?: number }): Promise<void> {
  model.follow(turnsScript(options.tool));
  await sandbox.ok(['new', 'turns', '-m', 'Count slowly to eight.'], { cwd: repo });
  const file = JSON.parse(await sandbox.ok(['show', 'turns', '--json'], { cwd: repo })).path as string;
  const timeline = await TaskTimeline.follow(sandbox, repo, 'turns');
  const screen = () => sandbox.ok(['peek', 'turns'], { cwd: repo }).catch(() => '');
  const step = async <T>(what: string, wait: () => Promise<T>): Promise<T> => {
    try {
      return await wait();
    } catch (error) {
      const log = await sandbox.ok(['logs', 'turns'], { cwd: repo }).catch(() => '');
      throw new Error(`${(error as Error).message} (${what}); the task went through ${timeline.describe()}; the agent's screen:\n${await screen()}\nthe task's log:\n${log}`);
    }
  };
  const until = (what: string, condition: () => boolean, ms = 60_000) => step(what, () => waitFor(condition, what, ms));
  try {
    await sandbox.ok(['start', 'turns'], { cwd: repo, env });
    // An agent's first start on a machine can take long (OpenCode's without a registry, under load).
    await until('the model to stream its first reply', () => model.streaming > 0, 150_000);
    assert.ok(model.saw('Count slowly to eight.'), "the task's description was the first prompt");
    const loading = timeline.states.filter((s) => s.status !== 'draft');
    assert.deepEqual(new Set(loading.map((s) => s.status)), new Set(['running']), `running from the start until the agent took its prompt: ${timeline.describe()}`);
    await until('the reply to end', () => model.streaming === 0);
    const ended = model.lastReplyEnd;
    const idle = await step('idle after the reply', () => timeline.next((s) => s.status === 'idle', 'idle after the reply'));
    assert.ok(idle.at - ended <= 2000, `idle within 2 s of the reply, with nobody attached (${idle.at - ended} ms)`);

    await sandbox.ok(['send', 'turns', 'next', '--enter'], { cwd: repo });
    await until('the model to stream again', () => model.streaming > 0);
    await step('running again', () => timeline.next((s) => s.status === 'running', 'running again while the model streams', 5000));
    const waiting = await step('a wait', () => timeline.next((s) => s.status === 'idle', 'idle and waiting for a permission'));
    assert.equal(waiting.waiting, options.asked, 'the wait names the tool and its command');
    assert.match(await sandbox.ok(['status'], { cwd: repo }), /● \?.*waits for permission to use/);
    const since = timeline.states.length;
    if (options.waitWindowMs) await delay(options.waitWindowMs);
    assert.equal(timeline.states.length, since, `the wait stays as it is: ${timeline.describe(since - 1)}`);

    const asked = Date.now();
    for (const key of options.answer) await sandbox.ok(['send', 'turns', key], { cwd: repo });
    await until('the permitted command to run and the turn to end', () => existsSync(join(worktreeOf(file), 'out.txt')) && model.lastReplyEnd > asked && model.streaming === 0 && timeline.now.status === 'idle' && timeline.now.waiting === null);
    assert.match(await sandbox.ok(['logs', 'turns'], { cwd: repo }), /status running → idle, waiting for permission to use /);
    await sandbox.ok(['stop', 'turns'], { cwd: repo });
  } finally {
    timeline.close();
  }
}

function worktreeOf(taskFile: string): string {
  return /^worktree: (.*)$/m.exec(readFileSync(taskFile, 'utf8'))![1]!;
}
