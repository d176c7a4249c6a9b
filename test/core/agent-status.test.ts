import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reportFromEvent } from '../../src/core/agent-events.js';
import { statusAfter } from '../../src/core/agent-status.js';

describe("a task's status as its agent works and waits", () => {
  it('runs while the agent works and idles when it stops or waits; completed and reviewed wait for a new turn', () => {
    const cases: Array<[Parameters<typeof statusAfter>, string]> = [
      [['running', 'running', 'idle'], 'idle'],
      [['running', 'running', 'waiting'], 'idle'],
      [['idle', 'idle', 'running'], 'running'],
      [['idle', 'waiting', 'running'], 'running'],
      // The agent finishes the turn in which it completed the task: still completed.
      [['completed', 'running', 'running'], 'completed'],
      [['completed', 'running', 'idle'], 'completed'],
      [['completed', 'idle', 'waiting'], 'completed'],
      // Someone prompts it again.
      [['completed', 'idle', 'running'], 'running'],
      [['reviewed', 'waiting', 'running'], 'running'],
      [['draft', 'idle', 'running'], 'draft'],
    ];
    for (const [args, expected] of cases) assert.equal(statusAfter(...args), expected, args.join(' → '));
  });

  it("reads Claude Code's hooks and OpenCode's events", () => {
    const state = (event: string, data: Record<string, unknown> = {}) => {
      const report = reportFromEvent(event, data);
      return report && [report.state, report.reason];
    };
    assert.deepEqual(state('UserPromptSubmit'), ['running', '']);
    assert.deepEqual(state('Stop'), ['idle', '']);
    assert.deepEqual(state('PermissionRequest', { tool_name: 'Bash' }), ['waiting', 'permission to use Bash']);
    assert.deepEqual(state('Notification', { notification_type: 'idle_prompt', message: 'Claude is waiting\n for your input' }), ['waiting', 'Claude is waiting for your input']);
    assert.equal(state('Notification', { notification_type: 'auth_success', message: 'Logged in' }), null, 'says nothing of what the agent does');
    assert.deepEqual(state('session.status', { sessionID: 's', status: { type: 'busy' } }), ['running', '']);
    assert.deepEqual(state('session.status', { sessionID: 's', status: { type: 'idle' } }), ['idle', '']);
    assert.deepEqual(state('permission.asked', { permission: 'bash', patterns: ['git push'] }), ['waiting', 'permission: bash git push']);
    assert.deepEqual(state('question.asked', { questions: [{ question: 'Which database?' }] }), ['waiting', 'an answer to: Which database?']);
    assert.deepEqual(state('waiting', { reason: 'x'.repeat(300) })![1].length, 200, 'one short line');
    assert.throws(() => reportFromEvent('constructor', {}), /'constructor' is not an event orchestra hook knows/);
  });
});
