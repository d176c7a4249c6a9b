export { withDaemon } from '../daemon/client.js';

/** Prints `value` as the stable JSON output of --json. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
