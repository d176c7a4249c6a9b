import { test } from 'node:test';
import { faultsAt } from './harness.js';

/**
 * `orchestra rm --force --delete-branch` of a running task broken at each of its fault
 * points: the client killed (the removal finishes in the daemon), or the daemon killed and
 * started again (the task is gone whole, or there whole with the person's edits).
 */
test('faults in rm', (t) =>
  faultsAt(t, ['rm:stopped', 'rm:worktree', 'rm:branch'], ['SIGKILL', 'daemon'], async (world) => {
    const task = await world.draft('doomed');
    await world.start(task.id);
    return {
      args: ['rm', String(task.id), '--force', '--delete-branch'],
      finished: (tasks) => !tasks.some((t) => t.id === task.id),
      expected: { edits: [{ ...task.edit, removable: true }] },
    };
  }));
