import { setTimeout as delay } from 'node:timers/promises';
import { spawn, type IPty } from 'node-pty';
import type { ExitStatus } from '../../protocol/holder.js';

/** How long each polite step of a stop waits before the next, firmer one. */
const STOP_STEP_MS = 3000;

/**
 * The agent under its pseudo-terminal. The agent leads its own session and process group
 * (node-pty makes it so), which lets a stop reach every process it started.
 */
export class AgentPty {
  private readonly pty: IPty;
  private exitStatus: ExitStatus | undefined;
  private readonly exited: Promise<ExitStatus>;

  constructor(command: string[], options: { cwd: string; env: Record<string, string>; cols: number; rows: number }) {
    const [file, ...args] = command;
    this.pty = spawn(file!, args, {
      name: 'xterm-256color',
      cwd: options.cwd,
      env: options.env,
      cols: options.cols,
      rows: options.rows,
      // Bytes, not strings: clients get exactly what the agent wrote.
      encoding: null,
    });
    drainBeforeExit(this.pty);
    // node-pty reports the exit once it has closed the PTY, which drainBeforeExit holds back
    // until the PTY has been read to its end: the agent's last output arrives before this.
    this.exited = new Promise((resolve) =>
      this.pty.onExit(({ exitCode, signal }) => {
        this.exitStatus = signal ? { code: null, signal } : { code: exitCode, signal: null };
        resolve(this.exitStatus);
      }),
    );
  }

  get pid(): number {
    return this.pty.pid;
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.pty.onData(listener as unknown as (data: string) => void);
  }

  onExit(listener: (status: ExitStatus) => void): void {
    void this.exited.then(listener);
  }

  write(data: Uint8Array | string): void {
    if (this.alive) this.pty.write(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  resize(cols: number, rows: number): void {
    if (this.alive) this.pty.resize(cols, rows);
  }

  /** Asks the agent to draw its screen again, as a size change would, without changing the size. */
  repaint(): void {
    if (this.alive) this.signalGroup('SIGWINCH');
  }

  /**
   * Ends the agent and everything in its process group: SIGINT, then SIGTERM, then SIGKILL,
   * each after the previous had STOP_STEP_MS to work (`force` kills at once). Processes the
   * agent left behind in its group are killed once it has exited.
   */
  async stop(force: boolean): Promise<ExitStatus> {
    const steps: NodeJS.Signals[] = force ? ['SIGKILL'] : ['SIGINT', 'SIGTERM', 'SIGKILL'];
    for (const signal of steps) {
      if (!this.alive) break;
      this.signalGroup(signal);
      const done = await Promise.race([this.exited.then(() => true), delay(STOP_STEP_MS, false, { ref: false })]);
      if (done) break;
    }
    const status = await this.exited;
    this.signalGroup('SIGKILL');
    return status;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pty.pid, signal);
    } catch {
      // The group is gone already.
    }
  }
}

/** The PTY counts as read to its end after this long without output once the agent has exited. */
const DRAIN_QUIET_MS = 200;
const DRAIN_LIMIT_MS = 5000;

/**
 * node-pty closes the PTY 200 ms after the child exited (it keeps the terminal's other end
 * open itself, so the end of the output is never signalled), discarding what the kernel
 * still holds: the tail of a burst that a busy holder had not read yet (DESIGN.md §7.7; the
 * 1 MB exit test in test/holder loses it under load). The close is held back until no
 * output has come for DRAIN_QUIET_MS, judged after a poll phase so that reads that were
 * waiting have run, and at most DRAIN_LIMIT_MS.
 */
function drainBeforeExit(pty: IPty): void {
  type Socket = { destroy: (...args: unknown[]) => unknown; on: (event: 'data', listener: () => void) => unknown };
  const socket = (pty as unknown as { _socket?: Socket })._socket;
  if (!socket) return; // A node-pty other than the one this was written for: its own behaviour stands.
  let lastOutput = Date.now();
  socket.on('data', () => (lastOutput = Date.now()));
  const destroy = socket.destroy.bind(socket);
  let draining = false;
  socket.destroy = (...args: unknown[]) => {
    if (draining) return socket;
    draining = true;
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    const check = (): void => {
      setImmediate(() => {
        if (Date.now() - lastOutput >= DRAIN_QUIET_MS || Date.now() > deadline) destroy(...args);
        else setTimeout(check, DRAIN_QUIET_MS);
      });
    };
    check();
    return socket;
  };
}

