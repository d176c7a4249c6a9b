import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where the sockets live (DESIGN.md §2): a directory only this user can enter, at a path
 * short enough for a unix socket wherever the user's home or ORCHESTRA_HOME is.
 */

/** sun_path holds 104 bytes on macOS and 108 on Linux, the final NUL included: 103 fits both. */
export const MAX_SOCKET_PATH_BYTES = 103;
/** The longest path a socket has below the runtime directory: a holder's (holders/<10 hex>-<id>.sock). */
const LONGEST_SOCKET_SUFFIX = '/holders/0123456789-1234567.sock';

export interface RuntimeContext {
  platform: NodeJS.Platform;
  uid: number | undefined;
  /** macOS: the per-user temporary directory (`getconf DARWIN_USER_TEMP_DIR`), asked only when $TMPDIR is not it. */
  darwinUserTempDir: () => string | undefined;
}

export function runtimeContext(): RuntimeContext {
  return {
    platform: process.platform,
    uid: process.getuid?.(),
    darwinUserTempDir: () => {
      try {
        return execFileSync('getconf', ['DARWIN_USER_TEMP_DIR'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The runtime directory without ORCHESTRA_HOME:
 * - `$XDG_RUNTIME_DIR/orchestra` where the login set one up (per user, cleaned at logout);
 * - macOS: in the per-user temporary directory (`/var/folders/…/T/`), never the shared
 *   `/tmp`; `$TMPDIR` is that directory in every ordinary session, and asked of the system
 *   otherwise, so that every client finds the same daemon;
 * - elsewhere `/tmp/orchestra-<uid>`, verified before use.
 */
export function defaultRuntimeDir(env: NodeJS.ProcessEnv, context: RuntimeContext): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'orchestra');
  if (context.platform === 'darwin') {
    const temp = env.TMPDIR && /^(\/private)?\/var\/folders\//.test(env.TMPDIR) ? env.TMPDIR : context.darwinUserTempDir();
    if (temp) return join(temp, 'orchestra');
  }
  return `/tmp/orchestra-${context.uid ?? 'user'}`;
}

/**
 * The runtime directory: `$ORCHESTRA_HOME/run` or the default one, unless a socket there
 * would not fit in a socket address. Then the sockets go to a short directory beside the
 * default one, named after the wanted one (so every client finds the same): a deep home,
 * or macOS's deep `$TMPDIR`, still works.
 */
export function runtimeDir(env: NodeJS.ProcessEnv, context: RuntimeContext): string {
  const fallback = defaultRuntimeDir(env, context);
  const wanted = env.ORCHESTRA_HOME ? join(env.ORCHESTRA_HOME, 'run') : fallback;
  if (socketsFit(wanted)) return wanted;
  const name = `orchestra-${context.uid ?? 'user'}-${createHash('sha256').update(wanted).digest('hex').slice(0, 8)}`;
  const beside = join(dirname(fallback), name);
  return socketsFit(beside) ? beside : join('/tmp', name);
}

function socketsFit(dir: string): boolean {
  return Buffer.byteLength(dir + LONGEST_SOCKET_SUFFIX) <= MAX_SOCKET_PATH_BYTES;
}

/** Why `stats` (of a runtime directory or socket, from lstat) cannot be trusted, or undefined when it can. */
export function untrustedBecause(stats: Stats, kind: 'directory' | 'socket', uid: number | undefined): string | undefined {
  if (stats.isSymbolicLink()) return 'is a symbolic link';
  if (kind === 'directory' && !stats.isDirectory()) return 'is not a directory';
  if (kind === 'socket' && !stats.isSocket()) return 'is not a socket';
  if (uid !== undefined && stats.uid !== uid) return `belongs to another user (uid ${stats.uid})`;
  if (kind === 'directory' && (stats.mode & 0o077) !== 0) return `can be entered by other users (mode ${(stats.mode & 0o777).toString(8)}, not 700)`;
  return undefined;
}

export class UntrustedPathError extends Error {}

/**
 * Checks that `path` (a runtime directory or a socket in it) is this user's alone, before
 * anything is sent to it or served from it: whoever controls it could pose as the daemon or
 * an agent. False when it does not exist; throws one sentence when it cannot be trusted.
 */
export function verifyPrivate(path: string, kind: 'directory' | 'socket', uid: number | undefined = process.getuid?.()): boolean {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  const why = untrustedBecause(stats, kind, uid);
  if (why) {
    const what = kind === 'directory' ? 'The runtime directory' : 'The socket';
    throw new UntrustedPathError(
      `${what} ${path} ${why}, so Orchestra will not use it: whoever controls it could pose as the daemon. Remove it${kind === 'directory' ? ', or set XDG_RUNTIME_DIR to a directory of your own' : ''}.`,
    );
  }
  return true;
}

/** Makes the runtime directory (0700; its parents too) if needed, then verifies it as above. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  verifyPrivate(dir, 'directory');
}

/**
 * A place for scratch directories (tests, bench, the demo) whose paths stay short: macOS's
 * per-user $TMPDIR is ~50 bytes deep, a third of a socket address, so /tmp there.
 */
export function scratchDir(platform: NodeJS.Platform = process.platform): string {
  return platform === 'darwin' ? '/tmp' : tmpdir();
}
