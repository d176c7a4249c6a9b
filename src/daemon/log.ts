import { renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { appendPrivateFile, makePrivateDir } from '../platform/private-files.js';

/** A line longer than this is cut: a client's 8 KB of nested JSON once became 64 MB of log. */
export const MAX_LINE_CHARS = 2000;
/** Past this size the log moves to daemon.log.1 (replacing the one before) and starts again. */
export const MAX_LOG_BYTES = 5 * 1024 * 1024;
/** At most this many lines in each window; the rest are counted and said once the window is over. */
export const MAX_LINES_PER_WINDOW = 100;
export const WINDOW_MS = 10_000;

/**
 * The daemon's log: one timestamped line per event, appended to a file in the state
 * directory. Private to the user (0600 in a 0700 directory), and yet it holds no prompt and
 * no environment value: what it says about an agent's start is its command without the prompt.
 * Bounded, since clients can make the daemon log: lines are cut and made printable, a flood
 * is counted rather than written, and the file is rotated.
 */
export class Logger {
  private windowStart = -Infinity;
  private linesInWindow = 0;
  private dropped = 0;

  constructor(
    readonly path: string,
    private readonly now: () => number = Date.now,
  ) {
    const tightened = makePrivateDir(dirname(path));
    if (tightened) this.info(tightened);
  }

  info(message: string): void {
    this.write('info', message);
  }

  warn(message: string): void {
    this.write('warn', message);
  }

  error(message: string): void {
    this.write('error', message);
  }

  private write(level: string, message: string): void {
    const now = this.now();
    if (now - this.windowStart >= WINDOW_MS) {
      const dropped = this.dropped;
      this.windowStart = now;
      this.linesInWindow = 0;
      this.dropped = 0;
      if (dropped > 0) this.append(now, 'warn', `${dropped} more lines were left out of this log in ${WINDOW_MS / 1000} s (a flood)`);
    }
    if (this.linesInWindow >= MAX_LINES_PER_WINDOW) {
      this.dropped++;
      return;
    }
    this.linesInWindow++;
    this.append(now, level, message);
  }

  private append(now: number, level: string, message: string): void {
    this.rotate();
    // Synchronous on purpose: the daemon logs rarely, and a line written before a crash is the useful one.
    appendPrivateFile(this.path, `${new Date(now).toISOString()} ${level} ${oneLine(message)}\n`);
  }

  private rotate(): void {
    try {
      if (statSync(this.path).size < MAX_LOG_BYTES) return;
      renameSync(this.path, `${this.path}.1`);
    } catch {
      // No log yet: nothing to rotate.
    }
  }
}

/** One line of printable text: control characters escaped (except the newlines of a stack, indented), cut at MAX_LINE_CHARS. */
function oneLine(message: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = message.replace(/\n/g, '\n  ').replace(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return printable.length > MAX_LINE_CHARS ? `${printable.slice(0, MAX_LINE_CHARS)}… (${printable.length - MAX_LINE_CHARS} more characters)` : printable;
}
