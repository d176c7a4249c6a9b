import { spawnSync } from 'node:child_process';
import { Methods } from '../../../protocol/daemon.js';
import { OrchestraError, UsageError } from '../../core/errors.js';
import { mergedAway } from '../../core/merged-away.js';
import { withDaemon } from '../context.js';

/** Commands that take the user to a task's worktree: path, cd, shell-init. */

export async function worktreeOf(ref: string): Promise<string> {
  const task = await withDaemon((c) => c.request(Methods.getTask, { cwd: process.cwd(), ref }));
  if (!task.worktree) {
    const gone = mergedAway(task.ref, task);
    throw new OrchestraError(gone ? `${gone}, so there is no worktree to go to.` : `Task ${task.ref} has no worktree yet; 'orchestra start ${task.id}' makes one.`);
  }
  return task.worktree;
}

export async function path(ref: string): Promise<void> {
  console.log(await worktreeOf(ref));
}

/**
 * `orchestra cd`: with the shell integration loaded, the shell function changes directory
 * itself and this never runs; without it, a program cannot change its parent's directory,
 * so this opens a subshell there.
 */
export async function cd(ref: string): Promise<void> {
  const dir = await worktreeOf(ref);
  if (!process.stdin.isTTY) {
    throw new OrchestraError(`Without the shell integration, cd opens a subshell, which needs a terminal; use: cd "$(orchestra path ${ref})".`);
  }
  const shell = process.env.SHELL || '/bin/sh';
  process.stderr.write(
    `orchestra: opening ${shell} in ${dir}; 'exit' returns. To cd without a subshell, add eval "$(orchestra shell-init ${shellName(shell)})" to your shell's rc file.\n`,
  );
  const result = spawnSync(shell, [], { cwd: dir, stdio: 'inherit', env: { ...process.env, ORCHESTRA_SUBSHELL: dir } });
  process.exitCode = result.status ?? 0;
}

function shellName(shell: string): string {
  const name = shell.split('/').pop() ?? 'bash';
  return ['bash', 'zsh', 'fish'].includes(name) ? name : 'bash';
}

const POSIX_INIT = `# Orchestra shell integration: 'orchestra cd <task>' changes this shell's directory.
orchestra() {
  if [ "$1" = cd ] && [ $# -eq 2 ]; then
    local dir
    dir="$(command orchestra path "$2")" && builtin cd -- "$dir"
  else
    command orchestra "$@"
  fi
}
`;

const FISH_INIT = `# Orchestra shell integration: 'orchestra cd <task>' changes this shell's directory.
function orchestra --wraps orchestra
  if test (count $argv) -eq 2; and test "$argv[1]" = cd
    set -l dir (command orchestra path $argv[2]); and builtin cd -- $dir
  else
    command orchestra $argv
  end
end
`;

export function shellInit(shell: string): void {
  if (shell === 'bash' || shell === 'zsh') process.stdout.write(POSIX_INIT);
  else if (shell === 'fish') process.stdout.write(FISH_INIT);
  else throw new UsageError(`'${shell}' is not a shell Orchestra knows; use bash, zsh or fish.`);
}
