import type { BranchChanges, MergeStrategy } from '../../protocol/daemon.js';
import { branchRef } from './branch-name.js';
import { OrchestraError } from './errors.js';
import { faultPoint } from './fault-points.js';
import { changedFiles, currentBranch, git, GitError, gitStatus, localBranches } from './git.js';
import { refOf, titleOf, type TaskRecord } from './task-store.js';

/**
 * Bringing a task's branch home (DESIGN.md §7.10): every check runs before anything
 * changes, conflicts are found with `git merge-tree --write-tree` without touching a work
 * tree, and each refusal says what would be lost and what to do instead.
 */

export async function branchChanges(root: string, base: string, branch: string): Promise<BranchChanges> {
  const [ahead, files, conflicts] = await Promise.all([
    commitsAhead(root, base, branch),
    git(root, ['diff', '--name-only', `${branchRef(base)}...${branchRef(branch)}`]),
    mergeConflicts(root, base, branch),
  ]);
  return { ahead, files: files ? files.split('\n').length : 0, conflicts };
}

/** Commits on `branch` that `base` does not have: what deleting the branch unmerged would lose. */
export async function commitsAhead(root: string, base: string, branch: string): Promise<number> {
  return Number(await git(root, ['rev-list', '--count', `${branchRef(base)}..${branchRef(branch)}`]));
}

/** The files that conflict when `branch` is merged into `base`: a merge in memory only (git ≥ 2.38). */
async function mergeConflicts(root: string, base: string, branch: string): Promise<string[]> {
  const args = ['merge-tree', '--write-tree', '--name-only', '--no-messages', branchRef(base), branchRef(branch)];
  const { status, stdout } = await gitStatus(root, args);
  if (status === 0) return [];
  // Exit status 1 is "conflicts": the merged tree's id, then the conflicting files.
  if (status === 1) return [...new Set(stdout.split('\n').slice(1).filter(Boolean))];
  throw new GitError(args, `exit status ${status}`, status);
}

export interface MergeOptions {
  strategy: MergeStrategy;
  /** Commit what the task's worktree has uncommitted, on the task's branch, first. */
  commit: boolean;
  /** Merge even though the task's agent is running. */
  force: boolean;
}

/** A short list of files for a message. */
export const fileList = (files: string[]) => (files.length > 5 ? `${files.slice(0, 5).join(', ')} and ${files.length - 5} more` : files.join(', '));

/**
 * Merges the task's branch into its base branch in the main checkout at `root` (`worktree`:
 * the task's own, checked by the caller, whose uncommitted work is looked at); returns
 * the commit the base branch is at afterwards. Nothing changes when a check fails. `intend`
 * learns that commit just before the base branch moves to it.
 */
export async function mergeTask(root: string, task: TaskRecord, worktree: string | null, alive: boolean, options: MergeOptions, intend: (commit: string) => void): Promise<string> {
  const ref = refOf(task);
  const { branch, base_branch: base } = task;
  if (!branch || !base) throw new OrchestraError(`Task ${ref} has no branch yet: it was never started, so there is nothing to merge.`);
  const branches = await localBranches(root);
  if (!branches.includes(branch)) throw new OrchestraError(`Task ${ref}'s branch ${branch} is gone, so there is nothing to merge.`);
  if (!branches.includes(base)) throw new OrchestraError(`Task ${ref}'s base branch ${base} is gone; recreate it, or merge ${branch} by hand.`);
  if (alive && !options.force) {
    throw new OrchestraError(`Task ${ref}'s agent is still running and may change the branch meanwhile; 'orchestra stop ${task.id}' first, or merge with --force.`);
  }
  const checkedOut = await currentBranch(root);
  if (checkedOut !== base) {
    throw new OrchestraError(
      `Task ${ref} merges into ${base}, but the main checkout ${root} is on ${checkedOut ?? 'a detached HEAD'}; 'git switch ${base}' there first.`,
    );
  }
  const mainDirty = await changedFiles(root);
  if (mainDirty.length > 0) {
    throw new OrchestraError(`The main checkout has uncommitted changes (${fileList(mainDirty)}); commit or stash them first, so the merge cannot mix with them.`);
  }
  let committed: string | undefined;
  if (worktree) {
    const taskDirty = await changedFiles(worktree);
    if (taskDirty.length > 0 && !options.commit) {
      throw new OrchestraError(
        `Task ${ref}'s worktree has uncommitted changes (${fileList(taskDirty)}), which a merge would leave behind; merge with --commit to commit them on ${branch} first.`,
      );
    }
    // What is committed is checked first, so a conflict there changes nothing at all.
    if (taskDirty.length > 0) {
      assertMergeable(ref, base, branch, worktree, await branchChanges(root, base, branch), undefined, true);
      committed = await commitAll(worktree, task);
    }
  }
  assertMergeable(ref, base, branch, worktree ?? root, await branchChanges(root, base, branch), committed, false);
  // The commit the base branch will be at, made before it moves: the merge itself is then
  // one step that a crash cannot leave half done, and a daemon that died can tell from
  // whether base contains it (DESIGN.md §7).
  const commit = await targetCommit(root, task, worktree, options.strategy);
  intend(commit);
  await faultPoint('merge:checked');
  // Moves base and the main checkout together, and only forward: a commit made in the main
  // checkout meanwhile makes it refuse rather than lose that commit.
  await git(root, ['merge', '--ff-only', '--no-edit', commit]);
  await faultPoint('merge:committed');
  return commit;
}

/** The commit that merges the task's branch into its base by `strategy` (conflicts were ruled out). */
async function targetCommit(root: string, task: TaskRecord, worktree: string | null, strategy: MergeStrategy): Promise<string> {
  const ref = refOf(task);
  const base = task.base_branch!;
  const branch = task.branch!;
  if (strategy === 'rebase') {
    await rebase(worktree, base, branch, ref);
    return git(root, ['rev-parse', '--verify', `${branchRef(branch)}^{commit}`]);
  }
  const [baseCommit, branchCommit] = await Promise.all([base, branch].map((name) => git(root, ['rev-parse', '--verify', `${branchRef(name)}^{commit}`])));
  const merged = await gitStatus(root, ['merge-tree', '--write-tree', '--no-messages', baseCommit!, branchCommit!]);
  if (merged.status !== 0) throw new OrchestraError(`Task ${ref} conflicts with ${base}, which changed while the merge was checked; nothing was changed. Merge again.`);
  const tree = merged.stdout.split('\n')[0]!;
  const title = titleLine(task);
  const [parents, message] =
    strategy === 'merge' ? [['-p', baseCommit!, '-p', branchCommit!], `Merge task ${ref}: ${title}\n`] : [['-p', baseCommit!], `${task.slug}: ${title}\n\n${task.description.trim()}\n`];
  // Plumbing signs only when told to; a person who signs commits gets this one signed too.
  const sign = (await git(root, ['config', '--bool', 'commit.gpgSign']).catch(() => 'false')) === 'true' ? ['-S'] : [];
  // The message by standard input: a task's description may be longer than a command line.
  return git(root, ['commit-tree', ...sign, ...parents, '-F', '-', tree], message);
}

/**
 * Refuses a merge that has nothing to bring or would conflict. `precheck` is the check of
 * what is committed before uncommitted work is committed: a branch with nothing committed
 * yet may still have something to merge then.
 */
function assertMergeable(ref: string, base: string, branch: string, tree: string, changes: BranchChanges, committed: string | undefined, precheck: boolean): void {
  if (changes.ahead === 0 && !precheck) throw new OrchestraError(`Task ${ref}'s branch ${branch} has no commits that ${base} does not have: there is nothing to merge.`);
  if (changes.conflicts.length === 0) return;
  throw new OrchestraError(
    `Task ${ref} conflicts with ${base} in ${fileList(changes.conflicts)}; ` +
      (committed ? `nothing was merged (the worktree's changes were committed on ${branch} as ${committed.slice(0, 12)}). ` : 'nothing was changed. ') +
      `Start the agent again and ask it to merge ${base} into its branch, or rebase by hand ('cd ${tree}' and 'git rebase ${base}'), then merge again.`,
  );
}

/** Rebases the task's branch onto its base where the branch is checked out (its worktree); undone on failure. */
async function rebase(worktree: string | null, base: string, branch: string, ref: string): Promise<void> {
  if (!worktree) throw new OrchestraError(`Task ${ref} has no worktree to rebase ${branch} in; merge without --rebase, or with --squash.`);
  try {
    await git(worktree, ['rebase', branchRef(base)]);
  } catch (error) {
    await git(worktree, ['rebase', '--abort']).catch(() => undefined);
    throw new OrchestraError(
      `Rebasing ${branch} onto ${base} stopped at a conflict in one of its commits (${(error as GitError).detail}); it was undone and nothing changed. Merge without --rebase, or rebase by hand in ${worktree}.`,
    );
  }
}

/** Commits everything the worktree has not committed (but Orchestra's own files); returns the commit. */
async function commitAll(worktree: string, task: TaskRecord): Promise<string> {
  await git(worktree, ['add', '--all', '--', '.', ':(exclude).orchestra']);
  await git(worktree, ['commit', '--no-verify', '-m', `${task.slug}: ${titleLine(task)}`]);
  return git(worktree, ['rev-parse', 'HEAD']);
}

function titleLine(task: TaskRecord): string {
  return titleOf(task.description) || task.slug;
}
