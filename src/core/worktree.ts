import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { Config } from './config.js';
import { branchName, branchRef } from './branch-name.js';
import { OrchestraError } from './errors.js';
import { changedFiles, git, GitError, localBranches } from './git.js';
import { commitsAhead } from './merge.js';
import type { UserDirs } from './paths.js';
import { canonicalPath } from '../platform/canonical-path.js';

/**
 * Task worktrees (DESIGN.md §2): one per task, on branch `<branch_prefix><id>-<slug>`,
 * outside the repository by default so that test runners, type checkers and file watchers
 * of the main checkout never see them.
 */

export interface TaskWorktree {
  path: string;
  branch: string;
  /** True when this call made the worktree (and so the setup script is due). */
  created: boolean;
  /** True when this call also made the branch (so undoing the start may delete it). */
  createdBranch: boolean;
  /**
   * True for this task's own worktree left by a start that did not finish (the daemon died
   * midway): taken up again and set up again, but never discarded, since it may hold work.
   */
  adopted: boolean;
}

/** `<repo>-<hash of its path>`: a name per project that is readable and never collides. */
export function projectKey(root: string): string {
  return `${basename(root)}-${createHash('sha256').update(root).digest('hex').slice(0, 8)}`;
}

export function taskBranch(config: Config, task: { id: number; slug: string }): string {
  return `${config.branch_prefix}${task.id}-${task.slug}`;
}

export function taskWorktreePath(config: Config, dirs: UserDirs, root: string, task: { id: number; slug: string }): string {
  if (config.worktree_dir === undefined) return join(dirs.data, 'worktrees', projectKey(root), `${task.id}-${task.slug}`);
  const expanded = config.worktree_dir
    .replace(/^~(?=$|\/)/, homedir())
    .replaceAll('{repo}', basename(root))
    .replaceAll('{id}', String(task.id))
    .replaceAll('{slug}', task.slug);
  // Relative to the project, like every other path in its config.
  const path = isAbsolute(expanded) ? expanded : resolve(root, expanded);
  // Inside the main checkout a worktree would nest in it (test runners and watchers see it
  // twice) or land in .git or .orchestra; a config from a cloned repository may ask for that.
  const real = realOfNearest(path);
  if (real === root || real.startsWith(`${root}/`)) {
    throw new OrchestraError(`worktree_dir in the config puts task ${task.id}:${task.slug}'s worktree at ${path}, inside the repository ${root}; set it to a directory outside the repository.`);
  }
  return path;
}

/** The real path of `path`, through the nearest part of it that exists (a worktree's directory is made later). */
function realOfNearest(path: string): string {
  const rest: string[] = [];
  for (let at = path; ; at = dirname(at)) {
    try {
      return join(canonicalPath(at), ...rest.reverse());
    } catch {
      if (at === dirname(at)) return path;
      rest.push(basename(at));
    }
  }
}

/**
 * The task's worktree, made when missing. A task that has one already gets it back (a
 * start after a stop); a recorded branch whose worktree was removed gets a new worktree on
 * the same branch, so no commit is lost. Anything else in the way is explained, not forced.
 */
export async function ensureWorktree(
  root: string,
  task: { id: number; slug: string; base_branch: string | null; branch: string | null; worktree: string | null },
  path: string,
  branch: string,
): Promise<TaskWorktree> {
  const registered = await registeredWorktrees(root);
  const ownBranch = task.branch ?? branch;
  const recorded = task.worktree ? realpathOr(task.worktree) : undefined;
  if (recorded && recorded !== root && registered.get(recorded) === ownBranch) {
    return { path: recorded, branch: ownBranch, created: false, createdBranch: false, adopted: false };
  }
  if (registered.get(realpathOr(path)) === ownBranch) {
    return { path: realpathOr(path), branch: ownBranch, created: false, createdBranch: false, adopted: true };
  }
  if ((await git(root, ['rev-parse', '--verify', '--quiet', 'HEAD']).catch(() => '')) === '') {
    throw new OrchestraError(`The repository ${root} has no commits yet, so there is nothing to start a worktree from; make a first commit.`);
  }
  const branches = await localBranches(root);
  const reuseBranch = task.branch !== null && branches.includes(task.branch);
  if (!reuseBranch) {
    if (!task.base_branch) throw new OrchestraError(`Task ${task.id}:${task.slug} has no base_branch; add 'base_branch: <branch>' to its front matter ('orchestra edit ${task.id}').`);
    if (!branches.includes(task.base_branch)) {
      throw new OrchestraError(
        `Task ${task.id}:${task.slug} starts from branch '${task.base_branch}', which does not exist; create it, or change base_branch with 'orchestra edit ${task.id}'.`,
      );
    }
    if (branches.includes(ownBranch)) {
      throw new OrchestraError(
        `The branch '${ownBranch}' exists already but does not belong to task ${task.id}:${task.slug}; rename or delete it ('git branch -m ${ownBranch} <new name>'), or set branch_prefix in the config.`,
      );
    }
  }
  if (existsSync(path) && !isEmptyDir(path)) {
    const holder = registered.get(realpathOr(path));
    const what = holder ? `a worktree of branch '${holder}'` : 'a directory that is in the way';
    throw new OrchestraError(`The worktree path ${path} is ${what}; remove it, or set worktree_dir in .orchestra/config.yaml.`);
  }
  const args = reuseBranch
    ? ['worktree', 'add', '--end-of-options', path, branchName(ownBranch)]
    : ['worktree', 'add', '-b', branchName(ownBranch), '--end-of-options', path, branchRef(task.base_branch!)];
  try {
    await git(root, args);
  } catch (error) {
    // git may have made the branch before it failed to make the worktree: a branch left
    // behind would refuse every later start ("exists already but does not belong").
    if (!reuseBranch && (await localBranches(root)).includes(ownBranch)) await deleteBranch(root, ownBranch).catch(() => undefined);
    const detail = error instanceof GitError ? error.detail : String(error);
    throw new OrchestraError(`Could not create the worktree ${path} (git said: ${detail.replace(/^fatal: /, '').replace(/\.$/, '')}).`);
  }
  return { path: realpathOr(path), branch: ownBranch, created: true, createdBranch: !reuseBranch, adopted: false };
}

/**
 * What a task's worktree holds that discarding it would lose, said for a log ("3 changed
 * files", "2 commits"); null when nothing: no uncommitted change and no commit its base lacks.
 */
export async function worktreeWork(root: string, base: string | null, worktree: { path: string; branch: string }): Promise<string | null> {
  const changed = await changedFiles(worktree.path).catch(() => []);
  if (changed.length > 0) return `${changed.length} changed file${changed.length === 1 ? '' : 's'}`;
  const ahead = base ? await commitsAhead(root, base, worktree.branch).catch(() => 0) : 0;
  return ahead > 0 ? `${ahead} commit${ahead === 1 ? '' : 's'} ${base} does not have` : null;
}

/** Undoes ensureWorktree for a start that failed before the agent ran (the worktree holds nothing of value yet). */
export async function discardWorktree(root: string, made: TaskWorktree): Promise<void> {
  if (!made.created) return;
  await git(root, ['worktree', 'remove', '--force', made.path]).catch(() => undefined);
  if (made.createdBranch) await deleteBranch(root, made.branch).catch(() => undefined);
}

/**
 * The task's worktree as its task file records it, if that is one Orchestra made for this
 * task: git lists it as a worktree of this repository, on the task's own branch (`ownBranch`,
 * from branch_prefix, id and slug), and it is not the main checkout. A task file travels
 * with the repository, and one that names another task's worktree, the main checkout or any
 * directory must not make `rm --force` or `merge --cleanup` delete it. Null otherwise.
 */
export async function verifiedWorktree(root: string, task: { worktree: string | null; branch: string | null }, ownBranch: string): Promise<string | null> {
  if (!task.worktree || task.branch !== ownBranch) return null;
  const real = realpathOr(task.worktree);
  if (real === root || !existsSync(real)) return null;
  return (await registeredWorktrees(root)).get(real) === ownBranch ? real : null;
}

/** Deletes a branch, merged or not: callers check first what would be lost. */
export function deleteBranch(root: string, branch: string): Promise<string> {
  return git(root, ['branch', '-D', '--end-of-options', branchName(branch)]);
}

/** Removes a task's worktree, whatever it holds: callers check first what would be lost. */
export async function removeWorktree(root: string, path: string): Promise<void> {
  try {
    await git(root, ['worktree', 'remove', '--force', path]);
  } catch (error) {
    throw new OrchestraError(`Could not remove the worktree ${path} (git said: ${(error as GitError).detail.replace(/^fatal: /, '')}).`);
  }
}

/** Worktrees git knows for the repository: real path → branch (or '' when detached). */
async function registeredWorktrees(root: string): Promise<Map<string, string>> {
  const output = await git(root, ['worktree', 'list', '--porcelain']);
  const result = new Map<string, string>();
  let current: string | undefined;
  for (const line of output.split('\n')) {
    if (line.startsWith('worktree ')) {
      current = realpathOr(line.slice('worktree '.length));
      result.set(current, '');
    } else if (line.startsWith('branch ') && current !== undefined) {
      result.set(current, line.slice('branch refs/heads/'.length));
    }
  }
  return result;
}

function realpathOr(path: string): string {
  try {
    return canonicalPath(path);
  } catch {
    return path;
  }
}

function isEmptyDir(path: string): boolean {
  try {
    return readdirSync(path).length === 0;
  } catch {
    return false;
  }
}
