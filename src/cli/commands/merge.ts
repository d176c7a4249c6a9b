import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { Methods, type MergeStrategy } from '../../../protocol/daemon.js';
import { OrchestraError, UsageError } from '../../core/errors.js';
import { mergedAway } from '../../core/merged-away.js';
import { withDaemon } from '../context.js';
import { paint } from '../output.js';
import { branchRef } from '../../core/branch-name.js';

/** Commands that bring a task's work home: diff and merge. */

export interface MergeOptions {
  squash?: boolean;
  rebase?: boolean;
  commit?: boolean;
  cleanup?: boolean;
  force?: boolean;
  json?: boolean;
}

export async function merge(ref: string, options: MergeOptions): Promise<void> {
  if (options.squash && options.rebase) throw new UsageError('Pick one of --squash and --rebase (or neither, for a merge commit).');
  const strategy: MergeStrategy = options.squash ? 'squash' : options.rebase ? 'rebase' : 'merge';
  const result = await withDaemon((c) =>
    c.request(Methods.mergeTask, { cwd: process.cwd(), ref, strategy, commit: options.commit ?? false, cleanup: options.cleanup ?? false, force: options.force ?? false }),
  );
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
    return;
  }
  const { task } = result;
  const how = { merge: 'with a merge commit', squash: 'as one commit', rebase: 'rebased and fast-forwarded' }[strategy];
  console.log(`Merged ${paint(task.ref, 'bold')} into ${task.base_branch} ${how}: ${result.merged_commit.slice(0, 12)}.`);
  if (result.removed_worktree) console.log(`Removed its worktree ${result.removed_worktree}.`);
  if (result.deleted_branch) console.log(`Deleted its branch ${result.deleted_branch}.`);
  if (!options.cleanup) console.log(`The worktree and branch stay; 'orchestra rm ${task.id} --delete-branch' removes them.`);
}

/**
 * `orchestra diff`: what the task changed against its base branch — committed and not yet
 * committed — shown by git itself, with its pager and colours.
 */
export async function diff(ref: string, options: { stat?: boolean }): Promise<void> {
  const task = await withDaemon((c) => c.request(Methods.getTask, { cwd: process.cwd(), ref }));
  if (!task.base_branch || !task.branch) {
    const gone = mergedAway(task.ref, task);
    throw new OrchestraError(gone ? `${gone}, so there is no branch left to diff; its work is part of ${task.base_branch} now.` : `Task ${task.ref} has no branch yet; 'orchestra start ${task.id}' makes one.`);
  }
  const stat = options.stat ? ['--stat'] : [];
  // In the worktree, against the merge base: the task's commits and what it has not committed.
  const [cwd, args] =
    task.worktree && existsSync(task.worktree)
      ? [task.worktree, ['diff', ...stat, '--merge-base', branchRef(task.base_branch)]]
      : [task.project, ['diff', ...stat, `${branchRef(task.base_branch)}...${branchRef(task.branch)}`]];
  const result = spawnSync('git', args, { cwd, stdio: 'inherit' });
  if (result.error) throw new OrchestraError(`Could not run git: ${result.error.message}.`);
  if (result.status !== 0) process.exitCode = result.status ?? 1;
  if (cwd === task.worktree) {
    const untracked = spawnSync('git', ['ls-files', '--others', '--exclude-standard'], { cwd, encoding: 'utf8' }).stdout.trim();
    if (untracked) {
      const files = untracked.split('\n');
      process.stderr.write(`orchestra: ${files.length} new file${files.length === 1 ? '' : 's'} not yet added to git, not shown: ${files.slice(0, 5).join(', ')}${files.length > 5 ? ' …' : ''}\n`);
    }
  }
}
