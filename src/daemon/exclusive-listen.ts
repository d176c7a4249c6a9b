import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { connect, type Server } from 'node:net';
import { OrchestraError } from '../core/errors.js';

/**
 * Listens on a unix socket path that only one process may own. The socket file is the lock:
 * listen() fails while it exists. A socket left by a killed daemon answers nothing and is
 * taken over — under a short lock file, so that two starters cannot both unlink it and both
 * listen (the loser's socket would be unreachable).
 */
export async function listenExclusive(server: Server, path: string): Promise<void> {
  const lock = `${path}.lock`;
  for (;;) {
    if (await tryListen(server, path)) return;
    if (await answers(path)) throw alreadyRunning(path);
    if (!tryLock(lock)) {
      await new Promise((r) => setTimeout(r, 25));
      continue;
    }
    try {
      if (await answers(path)) throw alreadyRunning(path);
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
      if (await tryListen(server, path)) return;
    } finally {
      unlinkSync(lock);
    }
  }
}

/** Whether something accepts connections on the socket at `path`. */
export function answers(path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') resolve(false);
      else reject(error);
    });
  });
}

function tryListen(server: Server, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(path);
  });
}

const STALE_LOCK_MS = 5000;

function tryLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx', 0o600));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // A starter that died while holding the lock must not block every later start.
    try {
      if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
    } catch {
      // Gone already: the next attempt takes it.
    }
    return false;
  }
}

function alreadyRunning(path: string): OrchestraError {
  return new OrchestraError(`A daemon is already running on ${path}; 'orchestra daemon stop' stops it.`);
}
