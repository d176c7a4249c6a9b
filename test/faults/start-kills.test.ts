import { test } from 'node:test';
import { faultsAt } from './harness.js';

/**
 * `orchestra start` broken at each of its fault points: the client killed (the start goes
 * on in the daemon and the task runs), or the daemon killed and started again (the task
 * runs with its branch and worktree recorded if its agent runs, else nothing is half made).
 */
test('faults in start', (t) =>
  faultsAt(t, ['start:intent', 'start:worktree', 'start:setup', 'start:launched'], ['SIGINT', 'daemon'], async (world) => {
    const task = await world.draft('job');
    return {
      args: ['start', String(task.id)],
      finished: (tasks) => tasks.some((t) => t.id === task.id && t.alive && t.status !== 'draft' && t.branch !== null && t.worktree !== null),
      expected: { edits: [task.edit] },
    };
  }));
