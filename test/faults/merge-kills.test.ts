import { test } from 'node:test';
import { taskWithWork } from '../helpers/tasks.js';
import { faultsAt, handEdit } from './harness.js';

/**
 * `orchestra merge --cleanup` of a finished task broken at each of its fault points: the
 * client killed (the merge and its cleanup finish in the daemon), or the daemon killed and
 * started again (merged_commit is recorded if the merge commit is on the base branch, else
 * nothing changed; no worktree or branch is left that the task file does not record).
 */
test('faults in merge', (t) =>
  faultsAt(t, ['merge:checked', 'merge:committed', 'merge:recorded'], ['SIGINT', 'daemon'], async (world) => {
    const task = await taskWithWork(world.sandbox, world.repo, 'finished', { 'work.txt': 'the work\n' });
    const id = Number(task.id);
    return {
      args: ['merge', task.id, '--cleanup'],
      finished: (tasks) => tasks.some((t) => t.id === id && t.merged_commit !== null && t.branch === null && t.worktree === null),
      expected: { edits: [handEdit(task.path, 'kept-finished')], work: new Map([[id, task.commit]]) },
    };
  }));
