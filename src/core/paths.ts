import { accessSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir as ensurePrivate, MAX_SOCKET_PATH_BYTES, runtimeContext, runtimeDir, UntrustedPathError, verifyPrivate } from '../platform/runtime-dir.js';
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
  const runtime = runtimeDir(env, runtimeContext());
  if (home) return { runtime, state: join(home, 'state'), config: join(home, 'config'), data: join(home, 'data') };
  const userHome = env.HOME || homedir();
  const xdg = (name: string, fallback: string) => join(env[name] || join(userHome, fallback), 'orchestra');
  return {
    runtime,
    state: xdg('XDG_STATE_HOME', '.local/state'),
    config: xdg('XDG_CONFIG_HOME', '.config'),
    data: xdg('XDG_DATA_HOME', '.local/share'),
  };
}

/** The daemon's socket: `ORCHESTRA_SOCKET` (set for agents Orchestra starts) or the runtime directory's. */
export function daemonSocketPath(env: Env = process.env): string {
  return env.ORCHESTRA_SOCKET || join(userDirs(env).runtime, 'daemon.sock');
}

export function assertSocketPathLength(path: string): void {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new OrchestraError(
      `The socket path ${path} is ${Buffer.byteLength(path)} bytes, longer than unix sockets allow; set ORCHESTRA_HOME or XDG_RUNTIME_DIR to a shorter directory.`,
    );
  }
}

/**
 * Creates the runtime directory 0700, or checks the one there (DESIGN.md §2): a symlink, a
 * directory of another user or one others may enter is refused, since whoever controls it
 * could put a socket there that poses as the daemon.
 */
export function ensurePrivateDir(dir: string): void {
  asOrchestraError(() => ensurePrivate(dir));
}

/** Checks a runtime directory or socket before a client uses it; false when it is not there. */
export function checkPrivate(path: string, kind: 'directory' | 'socket'): boolean {
  return asOrchestraError(() => verifyPrivate(path, kind));
}

function asOrchestraError<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    if (error instanceof UntrustedPathError) throw new OrchestraError(error.message);
    throw error;
  }
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
