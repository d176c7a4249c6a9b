/**
 * A task that `merge --cleanup` finished with: merged, then its branch and worktree removed
 * (the task file keeps `merged_commit` and loses `branch` and `worktree`). Every command that
 * needs the branch or worktree says that, rather than that the task was never started.
 */

interface MergedTask {
  base_branch: string | null;
  branch: string | null;
  merged_commit: string | null;
}

/** "Task 3:tidy was merged into main as 1a2b3c4d5e6f, and its branch and worktree removed (merge --cleanup)"; null for any other task. */
export function mergedAway(ref: string, task: MergedTask): string | null {
  if (!task.merged_commit || task.branch) return null;
  return `Task ${ref} was merged into ${task.base_branch ?? 'its base branch'} as ${task.merged_commit.slice(0, 12)}, and its branch and worktree removed (merge --cleanup)`;
}

/**
 * Why a merged-away task is not started again, or null: its work is in the base branch, and
 * a fresh start would run the same prompt again on a new branch while the task still reads
 * as merged. More work on it is a new task.
 */
export function startRefusal(ref: string, task: MergedTask): string | null {
  const gone = mergedAway(ref, task);
  return gone && `${gone}, so it is done; for more work on it, create a new task with 'orchestra new <slug>'.`;
}
