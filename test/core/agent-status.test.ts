import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportFromEvent } from '../../src/core/agent-events.js';
import { keptToolInput } from '../../src/core/agents/claude.js';
import { statusAfter } from '../../src/core/agent-status.js';

describe("a task's status as its agent works and waits", () => {
  it('runs while the agent works and idles when it stops or waits; completed and reviewed wait for a new turn', () => {
    const cases: Array<[Parameters<typeof statusAfter>, string]> = [
      [['running', 'idle', false], 'idle'],
      [['running', 'waiting', false], 'idle'],
      [['idle', 'running', false], 'running'],
      [['idle', 'running', true], 'running'],
      // The rest of the turn in which the task was completed: still completed, even after a pause.
      [['completed', 'running', false], 'completed'],
      [['completed', 'idle', false], 'completed'],
      [['completed', 'waiting', false], 'completed'],
      // Someone prompts it again.
      [['completed', 'running', true], 'running'],
      [['reviewed', 'running', true], 'running'],
      [['draft', 'running', true], 'draft'],
    ];
    for (const [args, expected] of cases) assert.equal(statusAfter(...args), expected, args.join(', '));
  });

  it("reads Claude Code's hooks and OpenCode's events, and names what a person is asked", () => {
    const state = (event: string, data: Record<string, unknown> = {}) => {
      const report = reportFromEvent(event, data);
      return report && [report.state, report.reason, report.meaning];
    };
    const bash = { tool_name: 'Bash', tool_input: { command: 'npm test', description: 'Run the tests' } };
    assert.deepEqual(state('UserPromptSubmit'), ['running', '', 'prompt']);
    assert.deepEqual(state('Stop'), ['idle', '', 'stop']);
    assert.deepEqual(state('PermissionRequest', bash), ['waiting', 'permission to use Bash: npm test', 'ask']);
    assert.deepEqual(state('PermissionRequest', { tool_name: 'Edit', tool_input: { file_path: 'src/a.ts' } }), ['waiting', 'permission to use Edit: src/a.ts', 'ask']);
    assert.deepEqual(state('PermissionRequest', { tool_name: 'mcp__db__query' }), ['waiting', 'permission to use mcp__db__query', 'ask']);
    assert.deepEqual(state('PermissionRequest', { tool_name: 'AskUserQuestion', tool_input: { questions: [{ question: 'Which color?' }] } }), ['waiting', 'an answer to: Which color?', 'ask']);
    assert.equal(reportFromEvent('PreToolUse', bash)!.toolCall, 'permission to use Bash: npm test', 'what a wait during the call would be');
    assert.deepEqual(state('PostToolUseFailure', bash), ['running', '', 'resume']);
    assert.deepEqual(state('PermissionDenied', bash), ['running', '', 'resume']);
    assert.deepEqual(state('Notification', { notification_type: 'idle_prompt', message: 'Claude is waiting\n for your input' }), ['waiting', 'Claude is waiting for your input', 'notice']);
    // Auto mode, behind a gateway that does not pass its check through (Claude Code 2.1.332).
    assert.deepEqual(state('Notification', { notification_type: 'agent_needs_input', message: "Auto mode can't check actions in this session and needs your choice" }), ['waiting', "Auto mode can't check actions in this session and needs your choice", 'notice']);
    assert.equal(state('Notification', { notification_type: 'auth_success', message: 'Logged in' }), null, 'says nothing of what the agent does');
    assert.deepEqual(state('message.updated', { info: { role: 'user' } }), ['running', '', 'prompt']);
    assert.equal(state('message.updated', { info: { role: 'assistant' } }), null);
    assert.deepEqual(state('session.status', { sessionID: 's', status: { type: 'busy' } }), ['running', '', 'work']);
    assert.deepEqual(state('session.status', { sessionID: 's', status: { type: 'idle' } }), ['idle', '', 'stop']);
    assert.deepEqual(state('permission.asked', { permission: 'bash', patterns: ['git push'] }), ['waiting', 'permission to use bash: git push', 'ask']);
    assert.deepEqual(state('question.asked', { questions: [{ question: 'Which database?' }] }), ['waiting', 'an answer to: Which database?', 'ask']);
    assert.deepEqual(state('waiting', { reason: 'x'.repeat(300) })![1]!.length, 200, 'one short line');
    assert.throws(() => reportFromEvent('constructor', {}), /'constructor' is not an event orchestra hook knows/);
  });

  it("passes on of a tool call's input only what names the call", () => {
    const input = { command: 'x'.repeat(600), content: 'a whole file', questions: [{ question: 'Which?', options: [{ label: 'A' }] }, { question: 'And?' }] };
    assert.deepEqual(keptToolInput(input), { command: 'x'.repeat(500), questions: [{ question: 'Which?' }] });
    assert.equal(keptToolInput('not an object'), undefined);
  });
});
