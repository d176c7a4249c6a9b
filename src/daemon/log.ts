import { dirname } from 'node:path';
import { appendPrivateFile, makePrivateDir } from '../platform/private-files.js';

/**
 * The daemon's log: one timestamped line per event, appended to a file in the state
 * directory. Private to the user (0600 in a 0700 directory), and yet it holds no prompt and
 * no environment value: what it says about an agent's start is its command without the prompt.
 */
export class Logger {
  constructor(readonly path: string) {
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
    // Synchronous on purpose: the daemon logs rarely, and a line written before a crash is the useful one.
    appendPrivateFile(this.path, `${new Date().toISOString()} ${level} ${message}\n`);
  }
}
