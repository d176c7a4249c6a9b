import { readSync } from 'node:fs';
import { spawn, type IPty } from 'node-pty';
import type { ExitStatus } from '../../protocol/holder.js';
import { processStartTime, type ProcessIdentity } from '../platform/process-identity.js';
import { endProcessTree } from '../platform/process-tree.js';
import { TerminalKeeper } from './terminal-keeper.js';

/** How long each polite step of a stop waits before the next, firmer one. */
const STOP_STEP_MS = 3000;

/**
 * The agent under its pseudo-terminal. The agent leads its own session and process group
 * (node-pty makes it so). Its end is reported once nothing it started is left running.
 */
export class AgentPty {
  private readonly pty: IPty;
  /** Recorded at the start, so that its tree is known by identity after it has gone. */
  readonly identity: ProcessIdentity;
  private exitStatus: ExitStatus | undefined;
  private readonly exited: Promise<ExitStatus>;
  /** Stops under way, which the exit waits for. */
  private readonly stops: Promise<unknown>[] = [];
  private readonly dataListeners: ((data: Uint8Array) => void)[] = [];

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
    this.identity = { pid: this.pty.pid, start: processStartTime(this.pty.pid) };
    const keeper = TerminalKeeper.start((this.pty as unknown as { fd?: number }).fd, this.identity);
    this.pty.onData((data) => this.emitData(data as unknown as Buffer));
    drainBeforeExit(this.pty, (data) => this.emitData(data));
    // node-pty reports the exit once it has closed the PTY, which drainBeforeExit holds back
    // until the PTY has been read to its end: the agent's last output arrives before this.
    this.exited = new Promise((resolve) =>
      this.pty.onExit(({ exitCode, signal }) => {
        const status: ExitStatus = signal ? { code: null, signal } : { code: exitCode, signal: null };
        this.exitStatus = status;
        // What an agent that ended by itself left in its group, and what that started, ends
        // with it; the rest of its tree went out of reach when its children reparented.
        const leftovers = this.stops.length > 0 ? Promise.all(this.stops) : endProcessTree([this.identity], ['SIGTERM', 'SIGKILL'], STOP_STEP_MS);
        void leftovers.then(() => {
          keeper.letGo();
          resolve(status);
        });
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
    this.dataListeners.push(listener);
  }

  private emitData(data: Uint8Array): void {
    for (const listener of this.dataListeners) listener(data);
  }

  onExit(listener: (status: ExitStatus) => void): void {
    void this.exited.then(listener);
  }

  write(data: Uint8Array | string): void {
    if (this.alive) this.pty.write(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Bytes written that the agent has not read yet (node-pty's write queue); 0 where a node-pty keeps it elsewhere. */
  get inputQueued(): number {
    const queue = (this.pty as unknown as { _writeStream?: { _writeQueue?: { buffer: Uint8Array; offset: number }[] } })._writeStream?._writeQueue;
    return queue ? queue.reduce((sum, task) => sum + task.buffer.byteLength - task.offset, 0) : 0;
  }

  resize(cols: number, rows: number): void {
    if (this.alive) this.pty.resize(cols, rows);
  }

  /** Asks the agent to draw its screen again, as a size change would, without changing the size. */
  repaint(): void {
    if (this.alive) this.signalGroup('SIGWINCH');
  }

  /**
   * Ends the agent and everything it started, in every process group and session it made
   * (endProcessTree): SIGINT, then SIGTERM, then SIGKILL, each after the previous had
   * STOP_STEP_MS to work, or as soon as the agent itself has ended (`force` kills at once).
   * Resolves once all of it is gone.
   */
  stop(force: boolean): Promise<ExitStatus> {
    if (this.alive) this.stops.push(endProcessTree([this.identity], force ? ['SIGKILL'] : ['SIGINT', 'SIGTERM', 'SIGKILL'], STOP_STEP_MS));
    return this.exited;
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
/** How often the PTY is read by hand once the kernel has said it has ended. */
const DRAIN_POLL_MS = 10;

/**
 * node-pty can lose the end of the agent's output (DESIGN.md §7.7), two ways; the 1 MB exit
 * test in test/holder loses it under load without this:
 * - it closes the PTY 200 ms after the child exited, discarding what the kernel still holds
 *   for a busy holder that had not read it yet;
 * - Linux can report the end of the PTY (EIO, which libuv reads as EOF) while the agent's
 *   last bytes are still on their way from the agent's side, when the kernel's worker that
 *   moves them is late; the stream then stops reading for good.
 * So the close is held back until no output has come for DRAIN_QUIET_MS (judged after a poll
 * phase, so reads that were waiting have run; at most DRAIN_LIMIT_MS), and once the stream
 * has ended, the PTY is read directly meanwhile and what comes is passed to `emit`.
 */
function drainBeforeExit(pty: IPty, emit: (data: Buffer) => void): void {
  type Socket = { destroy: (...args: unknown[]) => unknown; on: (event: 'data' | 'end', listener: () => void) => unknown };
  const socket = (pty as unknown as { _socket?: Socket })._socket;
  const fd = (pty as unknown as { fd?: number }).fd;
  if (!socket || fd === undefined) return; // A node-pty other than the one this was written for: its own behaviour stands.
  let lastOutput = Date.now();
  let ended = false;
  socket.on('data', () => (lastOutput = Date.now()));
  socket.on('end', () => {
    ended = true;
    // What is still on its way may have been written long after the last read.
    lastOutput = Date.now();
  });
  const readRest = () => {
    const buffer = Buffer.allocUnsafe(65536);
    for (;;) {
      let length: number;
      try {
        length = readSync(fd, buffer);
      } catch {
        return; // EAGAIN: nothing yet; EIO: nothing now. The quiet period decides.
      }
      if (length <= 0) return;
      lastOutput = Date.now();
      emit(Buffer.from(buffer.subarray(0, length)));
    }
  };
  const destroy = socket.destroy.bind(socket);
  let draining = false;
  socket.destroy = (...args: unknown[]) => {
    if (draining) return socket;
    draining = true;
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    const check = (): void => {
      setImmediate(() => {
        if (ended) readRest();
        if (Date.now() - lastOutput >= DRAIN_QUIET_MS || Date.now() > deadline) destroy(...args);
        else setTimeout(check, ended ? DRAIN_POLL_MS : DRAIN_QUIET_MS);
      });
    };
    check();
    return socket;
  };
}
