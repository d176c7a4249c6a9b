import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ProcessIdentity } from '../platform/process-identity.js';

const KEEPER_MAIN = fileURLToPath(new URL('./keeper-main.js', import.meta.url));

/**
 * Holds the agent's terminal open should the holder die without ending the agent (kill -9,
 * a crash). Its end of the PTY closing would hang the agent up at once: the agent would die,
 * its children would reparent, and what it had started in process groups or sessions of
 * their own could no longer be told from anybody else's processes. The keeper — a shell,
 * in a session of its own, that waits on a pipe from the holder with a copy of the PTY's
 * master — sees the pipe end and runs keeper-main, which ends the agent's whole tree while
 * it can still be walked, without needing the daemon.
 */
export class TerminalKeeper {
  private constructor(private readonly release: () => void) {}

  /** Starts a keeper for the PTY whose master is `masterFd`; none when node-pty does not say which it is. */
  static start(masterFd: number | undefined, agent: ProcessIdentity): TerminalKeeper {
    if (masterFd === undefined || agent.start === undefined) return new TerminalKeeper(() => {});
    const child = spawn('/bin/sh', ['-c', 'read _; exec "$@"', 'orchestra-keeper', process.execPath, KEEPER_MAIN, String(agent.pid), agent.start], {
      stdio: ['pipe', 'ignore', 'inherit', masterFd],
      detached: true,
      cwd: '/',
    });
    child.on('error', (error) => process.stderr.write(`orchestra holder: could not start the terminal keeper: ${error.message}\n`));
    return new TerminalKeeper(() => child.kill('SIGKILL'));
  }

  /** The holder ends the agent itself: the keeper goes, with its copy of the terminal. */
  letGo(): void {
    this.release();
  }
}
