import { UsageError } from '../core/errors.js';
import { Dashboard } from './dashboard.js';

export interface UiOptions {
  all?: boolean;
}

/** `orchestra ui`: the dashboard, on a terminal only. Resolves with the exit status once the person quits. */
export async function runUi(options: UiOptions): Promise<number> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    throw new UsageError("ui needs a terminal; 'orchestra status' prints the same overview, and 'orchestra status --watch' follows it.");
  }
  const dashboard = new Dashboard({ all: options.all ?? false, cwd: process.cwd(), color: !process.env.NO_COLOR });
  const code = await dashboard.run();
  // Quitting is quitting: a start or stop still under way goes on in the daemon without us.
  process.exit(code);
}
