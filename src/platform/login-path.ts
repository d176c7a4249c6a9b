import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';

/**
 * The daemon may be started by a client with a bare PATH: an app started from macOS's Dock
 * or Finder gets launchd's `/usr/bin:/bin:/usr/sbin:/sbin`, cron gets `/usr/bin:/bin`. With
 * it, git is the system's (older) one and the user's tools are missing from every hook and
 * notification the daemon runs. Such a PATH is replaced by the user's login shell's.
 */
const SYSTEM_DIRS = new Set(['/usr/bin', '/bin', '/usr/sbin', '/sbin']);

/** Whether `path` holds nothing but the system's own directories. */
export function isMinimalPath(path: string | undefined): boolean {
  return (path ?? '').split(':').every((dir) => dir === '' || SYSTEM_DIRS.has(dir));
}

const MARKER = '__orchestra_login_path__';

/** Runs a program, returning its stdout, or undefined when it failed or took too long. */
export type Runner = (file: string, args: string[]) => string | undefined;

const run: Runner = (file, args) => {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 ? result.stdout : undefined;
};

/**
 * PATH as the user's login shell sets it up (`$SHELL -l -c`), or undefined. What the shell's
 * start-up files print is passed over: the value follows a marker.
 */
export function loginShellPath(shell: string, runner: Runner = run): string | undefined {
  const output = runner(shell, ['-l', '-c', `printf '%s%s' '${MARKER}' "$PATH"`]);
  const at = output?.lastIndexOf(MARKER) ?? -1;
  if (at < 0) return undefined;
  const path = output!.slice(at + MARKER.length).trim();
  return path && !path.includes('\n') ? path : undefined;
}

/** The user's login shell: $SHELL, else the account's (the password database), else /bin/sh. */
export function loginShell(env: NodeJS.ProcessEnv, accountShell: () => string | undefined = () => userInfo().shell ?? undefined): string {
  if (env.SHELL) return env.SHELL;
  try {
    return accountShell() || '/bin/sh';
  } catch {
    return '/bin/sh';
  }
}

/** The PATH the daemon should run with: the given one, unless it is minimal and the login shell knows better. */
export function daemonPath(env: NodeJS.ProcessEnv, runner: Runner = run): string | undefined {
  if (!isMinimalPath(env.PATH)) return env.PATH;
  return loginShellPath(loginShell(env), runner) ?? env.PATH;
}
