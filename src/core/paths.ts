import { accessSync, mkdirSync, statSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OrchestraError } from './errors.js';

/**
 * The per-user directories of DESIGN.md §2. `ORCHESTRA_HOME` puts all of them under one
 * directory, which is how tests (and people who want everything in one place) isolate
 * themselves; otherwise the XDG conventions apply.
 */
export interface UserDirs {
  /** Sockets: the daemon's and the holders'. 0700, owned by the user. */
  runtime: string;
  /** Registered projects, the daemon log, per-task logs. */
  state: string;
  /** User-wide config.yaml. */
  config: string;
  /** Default home of worktrees. */
  data: string;
}

type Env = NodeJS.ProcessEnv;

export function userDirs(env: Env = process.env): UserDirs {
  const home = env.ORCHESTRA_HOME;
  if (home) {
    return { runtime: join(home, 'run'), state: join(home, 'state'), config: join(home, 'config'), data: join(home, 'data') };
  }
  const userHome = env.HOME || homedir();
  const xdg = (name: string, fallback: string) => join(env[name] || join(userHome, fallback), 'orchestra');
  return {
    runtime: env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, 'orchestra') : `/tmp/orchestra-${process.getuid?.() ?? 'user'}`,
    state: xdg('XDG_STATE_HOME', '.local/state'),
    config: xdg('XDG_CONFIG_HOME', '.config'),
    data: xdg('XDG_DATA_HOME', '.local/share'),
  };
}

/** The daemon's socket: `ORCHESTRA_SOCKET` (set for agents Orchestra starts) or the runtime directory's. */
export function daemonSocketPath(env: Env = process.env): string {
  return env.ORCHESTRA_SOCKET || join(userDirs(env).runtime, 'daemon.sock');
}

// Linux allows 108 bytes in sun_path, macOS 104; stay under both with room for a suffix.
const MAX_SOCKET_PATH = 100;

export function assertSocketPathLength(path: string): void {
  if (Buffer.byteLength(path) >= MAX_SOCKET_PATH) {
    throw new OrchestraError(
      `The socket path ${path} is ${Buffer.byteLength(path)} bytes, longer than unix sockets allow; set ORCHESTRA_HOME or XDG_RUNTIME_DIR to a shorter directory.`,
    );
  }
}

/**
 * Creates the runtime directory 0700 and refuses one that another user owns: whoever
 * owns it could put a socket there that impersonates the daemon.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stats = statSync(dir);
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new OrchestraError(`${dir} belongs to another user (uid ${stats.uid}); remove it or set XDG_RUNTIME_DIR to a directory of your own.`);
  }
  if ((stats.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/** Whether this process may use `path` as `mode` says (fs.constants.X_OK, W_OK …); false when it is not there. */
export function mayAccess(path: string, mode: number): boolean {
  try {
    accessSync(path, mode);
    return true;
  } catch {
    return false;
  }
}
