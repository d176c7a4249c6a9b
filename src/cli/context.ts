import { connectDaemon, type DaemonClient } from '../daemon/client.js';

/** Runs `action` with a daemon connection (starting the daemon when none runs), then closes it. */
export async function withDaemon<T>(action: (client: DaemonClient) => Promise<T>): Promise<T> {
  const client = await connectDaemon();
  try {
    return await action(client);
  } finally {
    client.close();
  }
}

/** Prints `value` as the stable JSON output of --json. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
