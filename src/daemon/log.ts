import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** The daemon's log: one timestamped line per event, appended to a file in the state directory. */
export class Logger {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
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
    appendFileSync(this.path, `${new Date().toISOString()} ${level} ${message}\n`);
  }
}
