import { constants } from 'node:os';
import type { ExitStatus } from '../../protocol/holder.js';

/** "exit code 7", "killed by SIGINT": how an agent ended, for logs and messages. */
export function describeExit(status: ExitStatus | null): string {
  if (status === null) return 'its exit status is unknown';
  if (status.signal === null) return `exit code ${status.code}`;
  const name = Object.entries(constants.signals).find(([, number]) => number === status.signal)?.[0];
  return `killed by ${name ?? `signal ${status.signal}`}`;
}
