import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LAST_SCREEN_END, LAST_SCREEN_START } from '../../protocol/holder.js';

/** How much of the end of a log is searched for the last screen: the largest screen (1000×500 cells) fits, in up to four bytes a cell. */
const LAST_SCREEN_BYTES = 2 * 1024 * 1024;

/**
 * The screen the task's agent showed when it last ended, from the task's log (its holder
 * writes it there), as text lines down to the last one in use; undefined when the log has none.
 */
export function lastScreen(logPath: string): string[] | undefined {
  let text: string;
  try {
    const fd = openSync(logPath, 'r');
    try {
      const size = fstatSync(fd).size;
      const length = Math.min(size, LAST_SCREEN_BYTES);
      const buffer = Buffer.alloc(length);
      readSync(fd, buffer, 0, length, size - length);
      text = buffer.toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  const start = text.lastIndexOf(`${LAST_SCREEN_START}\n`);
  if (start === -1) return undefined;
  const end = text.indexOf(`\n${LAST_SCREEN_END}`, start);
  if (end === -1) return undefined;
  const lines = text.slice(start + LAST_SCREEN_START.length + 1, end).split('\n');
  // The rows below the last one in use are the screen's, not the agent's.
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  return lines;
}
