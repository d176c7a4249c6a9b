import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { canonicalPath } from '../platform/canonical-path.js';
import { gitInstallHint } from '../platform/git-install.js';
import { OrchestraError } from './errors.js';

/**
 * Runs git in `cwd` and returns its standard output without the final newline; a non-zero
 * exit is a GitError. `input` goes to its standard input (text that may be too long for a
 * command line, as a commit message).
 */
export async function git(cwd: string, args: string[], input?: string): Promise<string> {
  const { status, stdout, detail } = await runGit(cwd, args, input);
  if (status !== 0) throw new GitError(args, detail, status);
  return stdout.replace(/\n$/, '');
}

/** Runs git in `cwd` for a command whose exit status is an answer (such as merge-tree's 1 for conflicts). */
export async function gitStatus(cwd: string, args: string[]): Promise<{ status: number; stdout: string }> {
  const { status, stdout, detail } = await runGit(cwd, args);
  if (status === null) throw new GitError(args, detail, null);
  return { status, stdout };
}

/** One git run: its exit status (null when it did not run or was killed), output, and the first line of what went wrong. */
function runGit(cwd: string, args: string[], input?: string): Promise<{ status: number | null; stdout: string; detail: string }> {
  return new Promise((resolvePromise) => {
    const child = execFile('git', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: gitEnv() }, (error, stdout, stderr) => {
      const status = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      const detail = error ? whatWentWrong(stderr.toString()) || error.message : '';
      resolvePromise({ status, stdout: stdout.toString(), detail });
    });
    // git may exit before it reads all of it (a bad argument): that is its exit status's to tell.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** The line of git's complaint that says what went wrong: its fatal or error line, not a progress line before it ("Preparing worktree …"). */
function whatWentWrong(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines.find((line) => /^(fatal|error): /.test(line)) ?? lines[0] ?? '';
}

/** Paths with changes in a work tree, untracked files included, outside `.orchestra/` (Orchestra's own files). */
export async function changedFiles(tree: string): Promise<string[]> {
  const status = await git(tree, ['status', '--porcelain', '--untracked-files=all', '--', '.', ':(exclude).orchestra']);
  return status ? status.split('\n').map((line) => line.slice(3)) : [];
}

export class GitError extends OrchestraError {
  constructor(
    readonly args: string[],
    readonly detail: string,
    readonly status: number | null,
  ) {
    super(`git ${args[0]} failed: ${detail}`);
  }
}

/**
 * The project a directory belongs to: the main checkout's root, also when `cwd` is inside a
 * linked worktree (DESIGN.md §2), so Orchestra never acts on a stale copy of the task files.
 * This is `git rev-parse --git-common-dir`; the common layouts are read from the files
 * directly because a git process costs ~10 ms on every command, and git answers the rest.
 */
export async function findProjectRoot(cwd: string): Promise<string> {
  try {
    if (!statSync(cwd).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new OrchestraError(`The directory ${cwd} does not exist.`);
  }
  const fromFiles = projectRootFromFiles(cwd);
  if (fromFiles) return fromFiles;
  let output: string;
  try {
    output = await git(cwd, ['rev-parse', '--path-format=absolute', '--git-common-dir', '--is-bare-repository']);
  } catch (error) {
    if (error instanceof GitError && /not a git repository/i.test(error.detail)) {
      throw new OrchestraError(`${cwd} is not inside a git repository; run orchestra inside one (or 'git init' first).`);
    }
    throw error;
  }
  const [commonDir, bare] = output.split('\n');
  if (bare === 'true') throw new OrchestraError(`${cwd} is a bare git repository; Orchestra needs a checkout with a working tree.`);
  let root: string;
  if (basename(commonDir!) === '.git') {
    root = dirname(commonDir!);
  } else {
    // A submodule or a repository with a separate git dir: its work tree is in core.worktree.
    const worktree = await git(cwd, ['--git-dir', commonDir!, 'config', '--get', 'core.worktree']).catch(() => '');
    root = worktree ? resolve(commonDir!, worktree) : await git(cwd, ['rev-parse', '--show-toplevel']);
  }
  return canonicalPath(root);
}

/**
 * The main checkout's root for the two everyday layouts: a `.git` directory, or a linked
 * worktree's `.git` file whose git dir names its common dir. Undefined for anything else
 * (submodules, separate git dirs, no repository), which git itself then sorts out.
 */
function projectRootFromFiles(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    const dotGit = join(dir, '.git');
    let stats;
    try {
      stats = statSync(dotGit);
    } catch {
      if (dir === dirname(dir)) return undefined;
      continue;
    }
    if (stats.isDirectory()) return existsSync(join(dotGit, 'HEAD')) ? canonicalPath(dir) : undefined;
    try {
      const gitDir = resolve(dir, /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'))![1]!.trim());
      const commonDir = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
      return basename(commonDir) === '.git' && existsSync(join(commonDir, 'HEAD')) ? canonicalPath(dirname(commonDir)) : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The checked-out branch, or null when HEAD is detached. Works in a repository without commits. */
export async function currentBranch(cwd: string): Promise<string | null> {
  try {
    return await git(cwd, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  } catch {
    return null;
  }
}

export async function localBranches(cwd: string): Promise<string[]> {
  const output = await git(cwd, ['for-each-ref', '--format=%(refname:short)', 'refs/heads/']);
  return output ? output.split('\n') : [];
}

// Keep a user's GIT_DIR or GIT_WORK_TREE (set for a hook, say) from redirecting Orchestra's own git calls.
function gitEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.GIT_DIR;
  delete env.GIT_WORK_TREE;
  delete env.GIT_INDEX_FILE;
  return env;
}

/** `merge-tree --write-tree`, which merge and status use to find conflicts without touching a work tree, came with git 2.38. */
export const MIN_GIT_VERSION = [2, 38] as const;

/**
 * What is wrong with the git on PATH, as one sentence, or undefined when it will do.
 * `versionOutput` is what `git --version` printed (undefined: git did not run).
 */
export function gitProblem(versionOutput: string | undefined, platform: NodeJS.Platform = process.platform): string | undefined {
  const needed = MIN_GIT_VERSION.join('.');
  if (versionOutput === undefined) return `Orchestra needs git ${needed} or newer, and there is no git on PATH; ${gitInstallHint(platform)}.`;
  const match = /git version (\d+)\.(\d+)/.exec(versionOutput);
  if (!match) return undefined; // A build that words it otherwise: its commands will say what fails.
  const [major, minor] = [Number(match[1]), Number(match[2])];
  if (major > MIN_GIT_VERSION[0] || (major === MIN_GIT_VERSION[0] && minor >= MIN_GIT_VERSION[1])) return undefined;
  return `Orchestra needs git ${needed} or newer (for merge-tree --write-tree), and this one is ${versionOutput.trim().replace(/^git version /, '')}; ${gitInstallHint(platform)}.`;
}

/** Checks the git on PATH once (the daemon does, as it starts); throws the sentence of gitProblem. */
export function assertUsableGit(): void {
  let output: string | undefined;
  try {
    output = execFileSync('git', ['--version'], { encoding: 'utf8', env: gitEnv(), stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    output = undefined;
  }
  const problem = gitProblem(output);
  if (problem) throw new OrchestraError(problem);
}
